// `wedge image build [--kernel PATH|default] [--modules DIR] [--cache DIR] [--agent PATH]`:
// argument handling and output only; the work is vm-images' build_image.
#include "harness/cli/image_command.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "vm-images/image.h"

namespace wedge::cli {

namespace {

namespace fs = std::filesystem;

struct ImageBuildOptions {
  std::string kernel = "default";
  std::string modules_dir;
  std::string cache_dir;
  std::string agent;
};

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

int run_image_build(const ImageBuildOptions& options) {
  image::ImageRequest request;
  request.kernel = options.kernel;
  request.modules_dir = options.modules_dir;
  request.cache_dir = options.cache_dir;
  request.agent_binary =
      options.agent.empty() ? image::default_agent_path() : fs::path(options.agent);
  if (request.kernel != "default" && !fs::exists(request.kernel)) {
    fmt::print(stderr, "wedge image build: kernel file {} does not exist\n", request.kernel);
    return kExitUsage;
  }
  if (!request.modules_dir.empty() && !fs::is_directory(request.modules_dir)) {
    fmt::print(stderr, "wedge image build: modules directory {} does not exist\n",
               request.modules_dir.string());
    return kExitUsage;
  }
  if (!fs::is_regular_file(request.agent_binary)) {
    fmt::print(stderr,
               "wedge image build: agent binary {} not found (build the wedge-agent target or "
               "pass --agent)\n",
               request.agent_binary.string());
    return kExitUsage;
  }
  if (request.kernel == "default" && !request.modules_dir.empty()) {
    fmt::print(stderr, "wedge image build: --modules needs --kernel PATH\n");
    return kExitUsage;
  }

  auto start = std::chrono::steady_clock::now();
  auto built = image::build_image(request, [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!built) {
    fmt::print(stderr, "wedge image build: {}\n", built.error().message());
    return kExitCannotTest;
  }
  const image::GuestImage& img = *built;
  std::string modules;
  for (const auto& m : img.boot_modules_in_order) modules += (modules.empty() ? "" : " ") + m;
  fmt::print("\n");
  fmt::print("kernel release  {}\n", img.kernel_release);
  fmt::print("hash            {}\n", img.hash);
  fmt::print("image           {} in {:.2f} s\n", img.from_cache ? "from cache" : "built", seconds);
  fmt::print("kernel          {}\n", img.kernel.string());
  fmt::print("initrd          {} ({})\n", img.initrd.string(), mib(img.initrd_bytes));
  fmt::print("system map      {}\n", img.system_map.empty() ? "(none)" : img.system_map.string());
  fmt::print("pinned          {} of files in guest RAM\n", mib(img.pinned_bytes));
  fmt::print("boot modules    {}\n", modules.empty() ? "(none)" : modules);
  return kExitPass;
}

}  // namespace

Command add_image_command(CLI::App& parent) {
  auto* image = parent.add_subcommand("image", "Guest images: kernel plus initramfs");
  image->require_subcommand(1);
  auto options = std::make_shared<ImageBuildOptions>();
  auto* build = image->add_subcommand("build", "Build a guest image, or find it in the cache");
  build
      ->add_option("--kernel", options->kernel,
                   "bzImage to boot, or 'default' for Debian's linux-image-cloud-amd64")
      ->capture_default_str();
  build->add_option("--modules", options->modules_dir,
                    "with --kernel: the INSTALL_MOD_PATH directory holding lib/modules/<release>");
  build->add_option("--cache", options->cache_dir,
                    "cache directory (default: $WEDGE_CACHE_DIR or ~/.cache/wedge)");
  build->add_option("--agent", options->agent,
                    "static wedge-agent binary to use as /init (default: next to wedge)");
  Command command;
  command.app = image;
  command.run = [options, build]() -> int {
    if (build->parsed()) return run_image_build(*options);
    return kExitUsage;
  };
  return command;
}

}  // namespace wedge::cli
