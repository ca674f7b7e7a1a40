// Implementation of debian_kernel.h.
#include "vm-images/debian_kernel.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/apt.h"
#include "vm-images/image_cache.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

const fs::path kAptLists = "/var/lib/apt/lists";

void report(const ProgressFn& progress, const std::string& line) {
  if (progress) progress(line);
}

// Identifies the state of apt's package lists: the metapackage can only point at a new
// kernel after `apt-get update` changed one of them.
std::string apt_lists_key() {
  std::vector<std::string> parts;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kAptLists, ec)) {
    std::string name = entry.path().filename().string();
    if (name.find("_Packages") == std::string::npos) continue;
    struct stat st {};
    if (::stat(entry.path().c_str(), &st) != 0) continue;
    parts.push_back(
        fmt::format("{}:{}:{}.{}", name, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec));
  }
  std::sort(parts.begin(), parts.end());
  std::string key;
  for (const auto& p : parts) key += p + ";";
  return key;
}

fs::path extracted_root(const fs::path& kernels_dir, const std::string& release) {
  return kernels_dir / release / "root";
}

bool is_extracted(const fs::path& kernels_dir, const std::string& release) {
  std::error_code ec;
  return !release.empty() &&
         fs::exists(extracted_root(kernels_dir, release) / "boot" / ("vmlinuz-" + release), ec);
}

struct Stamp {
  std::string apt_lists;
  std::string release;
};

// One stamp per flavour: "default.json" (the name the cloud kernel's stamp always had).
fs::path stamp_path(const fs::path& kernels_dir, const DebianFlavour& flavour) {
  return kernels_dir / fmt::format("{}.json", flavour.name);
}

Stamp read_stamp(const fs::path& stamp_file) {
  auto text = read_file(stamp_file);
  if (!text) return {};
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return {};
  return Stamp{json.value("apt_lists", ""), json.value("release", "")};
}

Status write_stamp(const fs::path& stamp_file, const Stamp& stamp) {
  nlohmann::json json = {{"apt_lists", stamp.apt_lists}, {"release", stamp.release}};
  return write_file_atomic(stamp_file, json.dump(2) + "\n");
}

// Asks apt which kernel the metapackage currently depends on.
Result<std::string> resolve_current_release(const fs::path& kernels_dir,
                                            const DebianFlavour& flavour) {
  WEDGE_TRY(TempDir work, TempDir::create(".resolve", kernels_dir));
  WEDGE_TRY(fs::path deb, apt_download(std::string(flavour.metapackage), work.path(), 120s));
  WEDGE_TRY(CommandOutput depends, run_checked({"dpkg-deb", "-f", deb.string(), "Depends"}, 30s));
  return release_from_depends(depends.out).context(deb.filename().string());
}

Status ensure_module_index(const fs::path& root, const std::string& release) {
  if (fs::exists(root / "lib/modules" / release / "modules.dep")) return ok_status();
  WEDGE_CHECK(run_checked({"depmod", "-b", root.string(), release}, 300s)
                  .context(fmt::format("depmod for {}", release)));
  return ok_status();
}

Status download_and_extract(const fs::path& kernels_dir, const std::string& release,
                            const ProgressFn& progress) {
  std::string package = "linux-image-" + release;
  // Everything happens in a temp dir that is renamed into place at the end, so an
  // interrupted download never looks like an extracted kernel.
  WEDGE_TRY(TempDir work, TempDir::create(".fetch-" + release, kernels_dir));
  report(progress, fmt::format("kernel: downloading {}", package));
  WEDGE_TRY(fs::path deb, apt_download(package, work.path(), 900s));
  std::error_code ec;
  uint64_t deb_bytes = fs::file_size(deb, ec);
  report(progress, fmt::format("kernel: extracting {} ({:.1f} MiB)", deb.filename().string(),
                               static_cast<double>(deb_bytes) / (1 << 20)));
  fs::path root = work.path() / "root";
  WEDGE_CHECK(run_checked({"dpkg-deb", "-x", deb.string(), root.string()}, 600s));
  fs::remove(deb, ec);
  if (!fs::exists(root / "boot" / ("vmlinuz-" + release))) {
    return make_error("{} has no boot/vmlinuz-{}", deb.filename().string(), release);
  }
  report(progress, fmt::format("kernel: depmod {}", release));
  WEDGE_CHECK(ensure_module_index(root, release));
  if (::rename(work.path().c_str(), (kernels_dir / release).c_str()) != 0) {
    int err = errno;
    if (is_extracted(kernels_dir, release)) return ok_status();  // a parallel fetch won
    return errno_error(
        fmt::format("rename {} to {}", work.path().string(), (kernels_dir / release).string()),
        err);
  }
  return ok_status();
}

}  // namespace

std::optional<DebianFlavour> debian_flavour(std::string_view kernel) {
  if (kernel.empty() || kernel == "default") {
    return DebianFlavour{"default", "linux-image-cloud-amd64"};
  }
  if (kernel == "debian-amd64") return DebianFlavour{"debian-amd64", "linux-image-amd64"};
  return std::nullopt;
}

Result<std::string> release_from_depends(std::string_view depends) {
  constexpr std::string_view kPrefix = "linux-image-";
  while (!depends.empty()) {
    auto sep = depends.find_first_of(",|");
    std::string_view alt = depends.substr(0, sep);
    depends.remove_prefix(sep == std::string_view::npos ? depends.size() : sep + 1);
    auto start = alt.find_first_not_of(" \t\n");
    if (start == std::string_view::npos) continue;
    alt.remove_prefix(start);
    std::string_view name = alt.substr(0, alt.find_first_of(" \t\n(:"));
    // Releases start with a digit; metapackages ("linux-image-cloud-amd64") do not.
    if (name.starts_with(kPrefix) && name.size() > kPrefix.size() &&
        std::isdigit(static_cast<unsigned char>(name[kPrefix.size()]))) {
      return std::string(name.substr(kPrefix.size()));
    }
  }
  return make_error("no linux-image-<release> in Depends");
}

Result<DebianKernel> fetch_debian_kernel(const fs::path& kernels_dir, const DebianFlavour& flavour,
                                         const ProgressFn& progress) {
  std::error_code ec;
  fs::create_directories(kernels_dir, ec);
  if (ec) return make_error("creating {}: {}", kernels_dir.string(), ec.message());
  remove_abandoned_temp_dirs(kernels_dir);

  const fs::path stamp_file = stamp_path(kernels_dir, flavour);
  Stamp stamp = read_stamp(stamp_file);
  std::string lists = apt_lists_key();
  std::string release;
  if (!stamp.release.empty() && stamp.apt_lists == lists &&
      is_extracted(kernels_dir, stamp.release)) {
    release = stamp.release;
  } else {
    report(progress, fmt::format("kernel: resolving {}", flavour.metapackage));
    auto resolved = resolve_current_release(kernels_dir, flavour);
    if (resolved) {
      release = *resolved;
    } else if (is_extracted(kernels_dir, stamp.release)) {
      report(progress, fmt::format("kernel: cannot check for a newer {} ({}); using {}",
                                   flavour.metapackage, resolved.error().message(), stamp.release));
      release = stamp.release;
    } else {
      return resolved.error().context(fmt::format("resolving {}", flavour.metapackage));
    }
    if (!is_extracted(kernels_dir, release)) {
      auto start = std::chrono::steady_clock::now();
      WEDGE_CHECK(
          download_and_extract(kernels_dir, release, progress)
              .context(fmt::format("fetching kernel {} ({})", release, flavour.metapackage)));
      report(progress,
             fmt::format(
                 "kernel: {} ready in {:.1f} s", release,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()));
    }
    WEDGE_CHECK(write_stamp(stamp_file, Stamp{lists, release}));
  }
  fs::path root = extracted_root(kernels_dir, release);
  WEDGE_CHECK(ensure_module_index(root, release));
  return DebianKernel{release, root};
}

Result<DebianKernel> fetch_debian_release(const fs::path& kernels_dir, const std::string& release,
                                          const ProgressFn& progress) {
  // The release becomes a package name and a folder name: nothing but its own characters.
  bool plain =
      !release.empty() && std::isdigit(static_cast<unsigned char>(release[0])) &&
      release.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.+-") == std::string::npos;
  if (!plain) return make_error("\"{}\" is not a Debian kernel release", release);
  std::error_code ec;
  fs::create_directories(kernels_dir, ec);
  if (ec) return make_error("creating {}: {}", kernels_dir.string(), ec.message());
  if (!is_extracted(kernels_dir, release)) {
    remove_abandoned_temp_dirs(kernels_dir);
    WEDGE_CHECK(download_and_extract(kernels_dir, release, progress)
                    .context(fmt::format("fetching kernel {}", release)));
  }
  fs::path root = extracted_root(kernels_dir, release);
  WEDGE_CHECK(ensure_module_index(root, release));
  return DebianKernel{release, root};
}

}  // namespace wedge::image
