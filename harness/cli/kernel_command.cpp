// `wedge kernel config [TREE] [--base B] [--out FILE]` and
// `wedge kernel build [TREE] [--base B] [-j N] [--cache DIR]`: argument handling only; the
// work is in harness/kernel/. build's last stdout line is the build folder's absolute path.
#include "harness/cli/kernel_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "harness/kernel/fragments.h"
#include "harness/kernel/kernel_build.h"
#include "harness/kernel/kernel_config.h"
#include "harness/run/progress.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "vm-images/image_cache.h"

namespace wedge::cli {

namespace fs = std::filesystem;

namespace {

struct KernelOptions {
  std::string tree = ".";
  std::string base = "defconfig";
  std::string out;
  std::string cache;
  int jobs = 0;
  bool builtin = false;
};

// Checks TREE and --base; prints the usage error and returns nullopt when they are wrong.
std::optional<kernel::ConfigBase> checked_arguments(const char* command, const KernelOptions& o) {
  if (!kernel::is_kernel_tree(o.tree)) {
    fmt::print(stderr,
               "wedge kernel {}: {} is not a kernel source tree (no Makefile, Kconfig, "
               "arch/x86)\n",
               command, o.tree);
    return std::nullopt;
  }
  auto base = kernel::parse_config_base(o.base);
  if (!base) {
    fmt::print(stderr, "wedge kernel {}: {}\n", command, base.error().message());
    return std::nullopt;
  }
  return *base;
}

int run_kernel_config(const KernelOptions& o) {
  auto base = checked_arguments("config", o);
  if (!base) return kExitUsage;
  install_interrupt_handlers();
  auto scratch = TempDir::create("wedge-kconfig");
  auto fragments = kernel::wanted_fragments(o.builtin);
  auto cache = kernel::kernel_cache_dir(o.cache);
  auto image_cache = image::cache_root({});
  for (const Error* e :
       {scratch ? nullptr : &scratch.error(), fragments ? nullptr : &fragments.error(),
        cache ? nullptr : &cache.error(), image_cache ? nullptr : &image_cache.error()}) {
    if (e != nullptr) {
      fmt::print(stderr, "wedge kernel config: {}\n", e->message());
      return kExitCannotTest;
    }
  }
  kernel::ConfigRequest request;
  request.tree = fs::absolute(o.tree).lexically_normal();
  request.base = *base;
  request.object_dir = scratch->path();
  request.cache_root = *image_cache;
  request.step = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
  auto final_config = kernel::configure_kernel(request, *fragments);
  if (!final_config) {
    fmt::print(stderr, "wedge kernel config: {}\n", final_config.error().message());
    return kExitCannotTest;
  }
  auto text = read_file(scratch->path() / ".config");
  if (!text) {
    fmt::print(stderr, "wedge kernel config: {}\n", text.error().message());
    return kExitCannotTest;
  }
  if (o.out.empty()) {
    fmt::print("{}", *text);
    return kExitPass;
  }
  if (Status written = write_file_atomic(o.out, *text); !written) {
    fmt::print(stderr, "wedge kernel config: {}\n", written.error().message());
    return kExitCannotTest;
  }
  fmt::print(stderr, "wrote {} (every option wedge's fragments want survived)\n", o.out);
  return kExitPass;
}

int run_kernel_build(const KernelOptions& o) {
  auto base = checked_arguments("build", o);
  if (!base) return kExitUsage;
  if (o.jobs < 0) {
    fmt::print(stderr, "wedge kernel build: -j must be positive\n");
    return kExitUsage;
  }
  install_interrupt_handlers();
  auto progress = std::make_shared<run::Progress>();
  kernel::BuildRequest request;
  request.tree = o.tree;
  request.base = *base;
  request.jobs = o.jobs;
  request.builtin = o.builtin;
  request.cache_dir = o.cache;
  request.step = [progress](const std::string& line) { progress->step(line); };
  request.status = [progress](const std::string& line) { progress->status(line); };
  auto build = kernel::build_kernel(request);
  progress->finish_status();
  if (!build) {
    fmt::print(stderr, "wedge kernel build: {}\n", build.error().message());
    return kExitCannotTest;
  }
  progress->step(fmt::format("{} {} in {:.1f} s (release {})",
                             build->cache_hit ? "cached build" : "built", build->key.substr(0, 16),
                             build->seconds, build->release));
  fmt::print("{}\n", build->dir.string());
  std::fflush(stdout);
  return kExitPass;
}

void add_tree_and_base(CLI::App* app, KernelOptions& o) {
  app->add_option("tree", o.tree, "kernel source tree (default: the current directory)");
  app->add_option("--base", o.base,
                  "config to start from: tree (its .config), defconfig, tinyconfig, "
                  "allnoconfig, debian-cloud (Debian's cloud kernel config) or a file")
      ->capture_default_str();
  app->add_option("--cache", o.cache,
                  "cache directory (default: $WEDGE_CACHE_DIR/kernel or ~/.cache/wedge/kernel)");
  app->add_flag("--builtin", o.builtin,
                "build every driver wedge needs into the kernel (=y instead of =m): no "
                "modules to install, as a bisect kernel usually is");
}

}  // namespace

Command add_kernel_command(CLI::App& parent) {
  auto* app = parent.add_subcommand("kernel", "Configure and build a kernel tree for wedge");
  app->require_subcommand(1);
  auto config_options = std::make_shared<KernelOptions>();
  auto build_options = std::make_shared<KernelOptions>();
  auto* config = app->add_subcommand(
      "config", "Print (or --out FILE) the tree's config with wedge's fragments merged in");
  add_tree_and_base(config, *config_options);
  config->add_option("--out", config_options->out, "write the config here instead of stdout");
  auto* build = app->add_subcommand(
      "build", "Build the tree out of tree in the cache; the last line is the build folder");
  add_tree_and_base(build, *build_options);
  build->add_option("-j,--jobs", build_options->jobs, "parallel make jobs (default: nproc)");
  Command command;
  command.app = app;
  command.run = [config, build, config_options, build_options]() -> int {
    if (config->parsed()) return run_kernel_config(*config_options);
    if (build->parsed()) return run_kernel_build(*build_options);
    return kExitUsage;
  };
  return command;
}

}  // namespace wedge::cli
