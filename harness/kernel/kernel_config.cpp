// Implementation of kernel_config.h.
#include "harness/kernel/kernel_config.h"

#include <fmt/format.h>

#include <chrono>

#include "harness/kernel/kconfig_deps.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/debian_kernel.h"

namespace wedge::kernel {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
constexpr auto kConfigTimeout = 10min;
constexpr const char* kMakeTargets[] = {"defconfig", "tinyconfig", "allnoconfig",
                                        "x86_64_defconfig"};

// The last lines of text, for errors that quote a tool.
std::string tail_lines(std::string_view text, int count) {
  size_t pos = text.size();
  while (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int i = 0; i < count && pos != std::string_view::npos && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
  }
  return std::string(pos == std::string_view::npos ? text : text.substr(pos + 1));
}

Status run_make(const ConfigRequest& request, const std::string& target) {
  std::vector<std::string> argv = make_argv(request);
  argv.push_back(target);
  WEDGE_TRY(CommandOutput out, run_command(argv, kConfigTimeout));
  if (!out.status.success()) {
    return make_error("make {} ({}):\n{}", target, out.status.describe(),
                      tail_lines(out.out + out.err, 20));
  }
  return ok_status();
}

Result<std::string> read_base_file(const ConfigRequest& request) {
  switch (request.base.kind) {
    case BaseKind::kTree:
      return read_file(request.tree / ".config").context("base tree: the tree's .config");
    case BaseKind::kFile:
      return read_file(request.base.file).context("base file");
    case BaseKind::kDebianCloud: {
      if (request.step) request.step("base debian-cloud: fetching Debian's cloud kernel");
      auto flavour = image::debian_flavour("default");
      WEDGE_TRY(image::DebianKernel debian,
                image::fetch_debian_kernel(request.cache_root / "kernels", *flavour, request.step));
      return read_file(debian.root / "boot" / ("config-" + debian.release))
          .context("base debian-cloud");
    }
    case BaseKind::kMakeTarget:
      break;
  }
  return std::string();
}
}  // namespace

Result<ConfigBase> parse_config_base(const std::string& spec) {
  ConfigBase base;
  if (spec == "tree") {
    base.kind = BaseKind::kTree;
    return base;
  }
  if (spec == "debian-cloud") {
    base.kind = BaseKind::kDebianCloud;
    return base;
  }
  for (const char* target : kMakeTargets) {
    if (spec == target) {
      base.kind = BaseKind::kMakeTarget;
      base.target = spec;
      return base;
    }
  }
  std::error_code ec;
  if (fs::is_regular_file(spec, ec)) {
    base.kind = BaseKind::kFile;
    base.file = fs::absolute(spec);
    return base;
  }
  return make_error(
      "--base {}: not tree, defconfig, tinyconfig, allnoconfig, debian-cloud or an existing file",
      spec);
}

std::string describe(const ConfigBase& base) {
  switch (base.kind) {
    case BaseKind::kTree:
      return "tree";
    case BaseKind::kMakeTarget:
      return base.target;
    case BaseKind::kDebianCloud:
      return "debian-cloud";
    case BaseKind::kFile:
      return "file " + base.file.string();
  }
  return "?";
}

bool is_kernel_tree(const fs::path& tree) {
  std::error_code ec;
  return fs::is_regular_file(tree / "Makefile", ec) && fs::is_regular_file(tree / "Kconfig", ec) &&
         fs::is_directory(tree / "arch" / "x86", ec);
}

std::vector<std::string> make_argv(const ConfigRequest& request) {
  std::vector<std::string> argv = {"make", "-C", request.tree.string(),
                                   "O=" + request.object_dir.string()};
  argv.insert(argv.end(), request.make_vars.begin(), request.make_vars.end());
  return argv;
}

Result<std::string> base_file_text(const ConfigRequest& request) { return read_base_file(request); }

Result<KconfigFile> configure_kernel(const ConfigRequest& request,
                                     const std::vector<KconfigFile>& fragments) {
  std::error_code ec;
  fs::create_directories(request.object_dir, ec);
  if (ec) return make_error("creating {}: {}", request.object_dir.string(), ec.message());
  fs::path dot_config = request.object_dir / ".config";
  // kbuild refuses O= builds of a tree configured or built in place; say so before make does.
  if (fs::exists(request.tree / ".config", ec) || fs::exists(request.tree / "include/config", ec)) {
    return make_error(
        "{} was configured or built in place (it has a .config or include/config), and kbuild "
        "builds out of tree (O=) only from a clean tree: copy its .config out and pass it as "
        "--base FILE, then run `make mrproper` there (or give the built tree to --kernel as is)",
        request.tree.string());
  }

  std::string base_text;
  std::string base_name = describe(request.base);
  if (request.base.kind == BaseKind::kMakeTarget) {
    if (request.step) request.step(fmt::format("make {}", request.base.target));
    WEDGE_CHECK(run_make(request, request.base.target));
    WEDGE_TRY(base_text, read_file(dot_config));
  } else {
    WEDGE_TRY(base_text, read_base_file(request));
  }
  WEDGE_TRY(KconfigFile base, parse_kconfig(base_text, base_name));
  KconfigFile merged = merge_kconfig(base, fragments);
  WEDGE_CHECK(write_file_atomic(dot_config, render_kconfig(merged)));

  if (request.step) request.step("make olddefconfig");
  WEDGE_CHECK(run_make(request, "olddefconfig"));
  WEDGE_TRY(std::string final_text, read_file(dot_config));
  WEDGE_TRY(KconfigFile final_config, parse_kconfig(final_text, ".config"));

  std::vector<DroppedOption> dropped = dropped_options(wanted_options(fragments), final_config);
  if (dropped.empty()) return final_config;
  WEDGE_TRY(KconfigDefinitions definitions, load_kconfig_definitions(request.tree));
  std::string message = fmt::format(
      "{} wanted option(s) did not survive olddefconfig (base {}):", dropped.size(), base_name);
  for (const DroppedOption& d : dropped) {
    message += "\n  " + explain_dropped(d, definitions, final_config);
  }
  return Error(message);
}

}  // namespace wedge::kernel
