// `wedge image build [--kernel PATH|default|debian-amd64] [--modules DIR] [--cache DIR]
// [--agent PATH]`: argument handling and output only; the work is vm-images' build_image.
#include "harness/cli/image_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "harness/config/kinds.h"
#include "harness/run/image_needs.h"
#include "harness/storage/transport_registry.h"
#include "vm-images/image.h"

namespace wedge::cli {

namespace {

namespace fs = std::filesystem;

struct ImageBuildOptions {
  std::string kernel = "default";
  std::string modules_dir;
  std::string cache_dir;
  std::string agent;
  std::string transport;  // "": the default tools; a transport name; "all": a table
};

std::string mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

// The image a scenario on this transport gets (swap use; the transport's tools and modules).
Result<image::ImageRequest> request_for_transport(image::ImageRequest request,
                                                  config::TransportKind kind) {
  config::Scenario scenario;
  scenario.source = "--transport";
  scenario.guest.kernel = request.kernel;
  scenario.storage.transport = kind;
  const storage::TransportEntry& entry = storage::transport_entry(kind);
  scenario.storage.use = entry.file_transport ? config::StorageUse::kFs : config::StorageUse::kSwap;
  // The transport's own checks say what this kernel cannot do (9p on the cloud kernel).
  if (entry.validate) {
    if (auto valid = entry.validate(scenario); !valid) {
      std::string why = valid.error().message();
      const std::string prefix = scenario.source.string() + ":0: ";  // no file to point at
      if (why.rfind(prefix, 0) == 0) why.erase(0, prefix.size());
      return make_error("{}", why);
    }
  }
  auto transport = storage::make_transport(scenario);
  if (!transport) return make_error("transport {} is not available", config::name_of(kind));
  run::apply_image_needs(run::storage_image_needs(scenario, *transport), request);
  return request;
}

// `--transport all`: the pinned size of the image each transport's scenarios boot.
int print_transport_table(const image::ImageRequest& base) {
  fmt::print("{:<14} {:>10} {:>10}  {}\n", "transport", "initrd", "pinned", "status");
  int worst = kExitPass;
  for (config::TransportKind kind : config::kTransportKinds) {
    auto request = request_for_transport(base, kind);
    auto built =
        request ? image::build_image(*request) : Result<image::GuestImage>(request.error());
    if (!built) {
      fmt::print("{:<14} {:>10} {:>10}  {}\n", config::name_of(kind), "-", "-",
                 built.error().message());
      worst = kExitCannotTest;
      continue;
    }
    fmt::print("{:<14} {:>10} {:>10}  {}\n", config::name_of(kind), mib(built->initrd_bytes),
               mib(built->pinned_bytes), built->from_cache ? "cached" : "built");
  }
  return worst;
}

int run_image_build(const ImageBuildOptions& options) {
  image::ImageRequest request;
  request.kernel = options.kernel;
  request.modules_dir = options.modules_dir;
  request.cache_dir = options.cache_dir;
  request.agent_binary =
      options.agent.empty() ? image::default_agent_path() : fs::path(options.agent);
  if (!config::is_stock_kernel(request.kernel) && !fs::exists(request.kernel)) {
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
  if (config::is_stock_kernel(request.kernel) && !request.modules_dir.empty()) {
    fmt::print(stderr, "wedge image build: --modules needs --kernel PATH\n");
    return kExitUsage;
  }

  if (options.transport == "all") return print_transport_table(request);
  if (!options.transport.empty()) {
    auto kind = config::parse_transport(options.transport);
    if (!kind) {
      fmt::print(stderr, "wedge image build: unknown transport {} (one of: {}, or all)\n",
                 options.transport, fmt::join(config::transport_names(), ", "));
      return kExitUsage;
    }
    auto for_transport = request_for_transport(request, *kind);
    if (!for_transport) {
      fmt::print(stderr, "wedge image build: {}\n", for_transport.error().message());
      return kExitCannotTest;
    }
    request = *for_transport;
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
  fmt::print("boot kernel     {}{}\n", img.boot_kernel.string(),
             img.boot_kernel_pvh ? " (uncompressed, PVH entry)" : "");
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
                   "bzImage to boot, 'default' for Debian's linux-image-cloud-amd64, or "
                   "'debian-amd64' for linux-image-amd64 (has 9p)")
      ->capture_default_str();
  build->add_option("--modules", options->modules_dir,
                    "with --kernel: the INSTALL_MOD_PATH directory holding lib/modules/<release>");
  build->add_option("--cache", options->cache_dir,
                    "cache directory (default: $WEDGE_CACHE_DIR or ~/.cache/wedge)");
  build->add_option("--transport", options->transport,
                    "the image a transport's scenarios boot (nbd, iscsi, nfs, ...), or 'all' for "
                    "a table of their sizes");
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
