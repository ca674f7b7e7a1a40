// Implementation of kernel.h.
#include "vm-images/kernel.h"

#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "harness/util/process.h"
#include "vm-images/bzimage.h"
#include "vm-images/debian_kernel.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void report(const ProgressFn& progress, const std::string& line) {
  if (progress) progress(line);
}

// Module-tree files that depmod reads rather than writes.
bool is_depmod_input(const std::string& name) {
  return !name.starts_with("modules.") || name == "modules.builtin" ||
         name == "modules.builtin.modinfo" || name == "modules.order";
}

// A user's module tree without modules.dep: run depmod on a scratch tree of symlinks to it.
Status index_modules_in_scratch(KernelFiles& k, const fs::path& source) {
  WEDGE_TRY(TempDir scratch, TempDir::create("wedge-depmod"));
  fs::path dir = scratch.path() / "lib/modules" / k.release;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());
  for (const auto& entry : fs::directory_iterator(source, ec)) {
    std::string name = entry.path().filename().string();
    if (!is_depmod_input(name)) continue;
    fs::create_symlink(fs::absolute(entry.path()), dir / name, ec);
    if (ec) return make_error("linking {}: {}", entry.path().string(), ec.message());
  }
  if (ec) return make_error("listing {}: {}", source.string(), ec.message());
  WEDGE_CHECK(run_checked({"depmod", "-b", scratch.path().string(), k.release}, 300s)
                  .context(fmt::format("depmod for {}", source.string())));
  k.modules_dir = dir;
  k.scratch.emplace(std::move(scratch));
  return ok_status();
}

Result<std::vector<std::string>> releases_under(const fs::path& modules_root) {
  std::vector<std::string> releases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(modules_root, ec)) {
    if (entry.is_directory()) releases.push_back(entry.path().filename().string());
  }
  if (ec) return make_error("listing {}: {}", modules_root.string(), ec.message());
  std::sort(releases.begin(), releases.end());
  return releases;
}

fs::path find_custom_system_map(const fs::path& kernel, const std::string& release) {
  // Next to the bzImage, or at the top of the build tree for arch/x86/boot/bzImage.
  std::vector<fs::path> candidates = {
      kernel.parent_path() / ("System.map-" + release),
      kernel.parent_path() / "System.map",
      kernel.parent_path() / "../../../System.map",
  };
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec) && !is_placeholder_system_map(c)) return c.lexically_normal();
  }
  return {};
}

Result<KernelFiles> find_stock_kernel(const DebianFlavour& flavour, const fs::path& cache_root,
                                      const ProgressFn& progress) {
  WEDGE_TRY(DebianKernel debian, fetch_debian_kernel(cache_root / "kernels", flavour, progress));
  KernelFiles k;
  k.release = debian.release;
  k.kernel = debian.root / "boot" / ("vmlinuz-" + debian.release);
  k.modules_dir = debian.root / "lib/modules" / debian.release;
  fs::path map = debian.root / "boot" / ("System.map-" + debian.release);
  if (fs::exists(map) && !is_placeholder_system_map(map)) {
    k.system_map = map;
  } else {
    report(progress, fmt::format("kernel: no System.map (Debian ships a placeholder; the real "
                                 "one is in linux-image-{}-dbg)",
                                 debian.release));
  }
  return k;
}

Result<KernelFiles> find_custom_kernel(const ImageRequest& request, const ProgressFn& progress) {
  KernelFiles k;
  k.kernel = fs::absolute(request.kernel);
  std::error_code ec;
  if (!fs::is_regular_file(k.kernel, ec)) {
    return make_error("kernel file {} does not exist", k.kernel.string());
  }
  auto header_release = read_bzimage_release(k.kernel);
  if (request.modules_dir.empty()) {
    if (!header_release) return header_release.error();
    k.release = *header_release;
    report(progress, fmt::format("kernel: no modules directory given: assuming {} has "
                                 "everything built in; the image has no modules",
                                 k.release));
  } else {
    fs::path modules_root = request.modules_dir / "lib/modules";
    if (!fs::is_directory(modules_root, ec)) {
      return make_error("{} has no lib/modules/ (pass the directory used as INSTALL_MOD_PATH)",
                        request.modules_dir.string());
    }
    WEDGE_TRY(std::vector<std::string> releases, releases_under(modules_root));
    if (header_release) {
      k.release = *header_release;
      if (std::find(releases.begin(), releases.end(), k.release) == releases.end()) {
        return make_error("{} is release {}, but {} holds modules for [{}]", k.kernel.string(),
                          k.release, modules_root.string(), fmt::join(releases, ", "));
      }
    } else if (releases.size() == 1) {
      k.release = releases.front();
      report(progress,
             fmt::format("kernel: {} ({}); using release {} from {}", k.kernel.string(),
                         header_release.error().message(), k.release, modules_root.string()));
    } else {
      return header_release.error().context(fmt::format(
          "cannot tell which of [{}] belongs to the kernel", fmt::join(releases, ", ")));
    }
    fs::path dir = fs::absolute(modules_root / k.release);
    if (fs::exists(dir / "modules.dep", ec)) {
      k.modules_dir = dir;
    } else {
      report(progress,
             fmt::format("kernel: {} has no modules.dep; running depmod on a scratch copy",
                         dir.string()));
      WEDGE_CHECK(index_modules_in_scratch(k, dir));
    }
  }
  k.system_map = find_custom_system_map(k.kernel, k.release);
  return k;
}

}  // namespace

bool is_placeholder_system_map(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size > 4096) return false;
  auto text = read_file(path);
  return text && text->find("The real System.map is in") != std::string::npos;
}

Result<KernelFiles> find_kernel(const ImageRequest& request, const fs::path& cache_root,
                                const ProgressFn& progress) {
  if (auto flavour = debian_flavour(request.kernel)) {
    return find_stock_kernel(*flavour, cache_root, progress);
  }
  return find_custom_kernel(request, progress);
}

}  // namespace wedge::image
