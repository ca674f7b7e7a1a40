// Implementation of kernel_spec.h.
#include "harness/kernel/kernel_spec.h"

#include "harness/config/kinds.h"
#include "harness/kernel/kconfig.h"
#include "harness/kernel/kernel_build.h"
#include "harness/util/files.h"
#include "vm-images/debian_kernel.h"
#include "vm-images/image_cache.h"

namespace wedge::kernel {

namespace fs = std::filesystem;

namespace {
std::string first_line(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return {};
  return text->substr(0, text->find('\n'));
}

fs::path existing(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec) ? path : fs::path();
}

// True when the config file at path builds any module (MODULES=y and some option =m).
bool builds_modules(const fs::path& config_path) {
  auto text = read_file(config_path);
  if (!text) return false;
  auto config = parse_kconfig(*text, config_path.string());
  if (!config || config->value_of("MODULES") != std::optional<std::string>("y")) return false;
  for (const KconfigValue& v : config->values) {
    if (v.value == "m") return true;
  }
  return false;
}

Result<KernelSpec> from_build_folder(const fs::path& dir) {
  KernelSpec k;
  k.kernel = (dir / "bzImage").string();
  k.system_map = existing(dir / "System.map");
  k.release = first_line(dir / "kernel.release");
  std::error_code ec;
  if (fs::is_directory(dir / "modules" / "lib" / "modules", ec)) k.modules_dir = dir / "modules";
  return k;
}

Result<KernelSpec> from_tree(const fs::path& tree, const fs::path& modules_dir) {
  KernelSpec k;
  k.kernel = (tree / "arch/x86/boot/bzImage").string();
  k.system_map = existing(tree / "System.map");
  k.release = first_line(tree / "include/config/kernel.release");
  if (modules_dir.empty() && builds_modules(tree / ".config")) {
    return make_error(
        "{} was built in place with modules, and none are staged: build it with `wedge kernel "
        "build {}` (which stages them), or run make modules_install INSTALL_MOD_PATH=DIR and "
        "pass --modules DIR",
        tree.string(), tree.string());
  }
  return k;
}
Result<KernelSpec> from_debian_archive(const std::string& release, const fs::path& cache_dir) {
  image::ImageRequest request;
  request.cache_dir = cache_dir;
  WEDGE_TRY(fs::path root, image::cache_root(request));
  WEDGE_TRY(image::DebianKernel debian, image::fetch_debian_release(root / "kernels", release, {}));
  KernelSpec k;
  k.kernel = (debian.root / "boot" / ("vmlinuz-" + debian.release)).string();
  k.modules_dir = debian.root;  // holds lib/modules/<release>
  k.release = debian.release;
  // Debian ships a placeholder System.map: the run fetches the -dbg one by release.
  return k;
}
}  // namespace

std::string debian_release_of(const std::string& spec) {
  constexpr std::string_view kPrefix = "debian:";
  return spec.starts_with(kPrefix) ? spec.substr(kPrefix.size()) : std::string();
}

bool is_kernel_directory(const std::string& spec) {
  std::error_code ec;
  return !config::is_stock_kernel(spec) && fs::is_directory(spec, ec);
}

Result<KernelSpec> resolve_kernel_spec(const std::string& spec, const fs::path& modules_dir,
                                       const fs::path& cache_dir) {
  KernelSpec k;
  if (std::string release = debian_release_of(spec); !release.empty()) {
    if (!modules_dir.empty()) return make_error("kernel {}: --modules is for a bzImage", spec);
    return from_debian_archive(release, cache_dir).context(fmt::format("kernel {}", spec));
  }
  if (config::is_stock_kernel(spec)) {
    k.kernel = spec;
    k.stock = true;
    k.modules_dir = modules_dir;
    return k;
  }
  fs::path path = fs::absolute(spec).lexically_normal();
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    k.kernel = path.string();
    fs::path map = existing(path.parent_path() / "System.map");
    k.system_map = map;
  } else if (fs::is_directory(path, ec)) {
    if (is_complete_build(path)) {
      WEDGE_TRY(k, from_build_folder(path));
    } else if (fs::is_regular_file(path / "arch/x86/boot/bzImage", ec)) {
      WEDGE_TRY(k, from_tree(path, modules_dir));
    } else {
      return make_error(
          "kernel {} is a directory with neither a finished `wedge kernel build` "
          "(build.json, bzImage) nor arch/x86/boot/bzImage: build it with `wedge kernel build {}`",
          spec, spec);
    }
  } else if (!fs::exists(path, ec)) {
    return make_error(
        "kernel {} is not a file or folder here (give a bzImage, a `wedge kernel build` folder, a "
        "kernel tree, \"default\", \"debian-amd64\" or \"debian:<release>\")",
        spec);
  } else {
    return make_error(
        "kernel {} is neither \"default\", \"debian-amd64\", \"debian:<release>\", a bzImage, a "
        "build folder nor a kernel tree",
        spec);
  }
  if (!modules_dir.empty()) k.modules_dir = fs::absolute(modules_dir);
  return k;
}

}  // namespace wedge::kernel
