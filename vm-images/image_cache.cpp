// Implementation of image_cache.h.
#include "vm-images/image_cache.h"

#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/sha256.h"

namespace wedge::image {

namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : " ") + item;
  return out;
}

}  // namespace

Result<fs::path> cache_root(const ImageRequest& request) {
  if (!request.cache_dir.empty()) return fs::absolute(request.cache_dir);
  if (const char* env = std::getenv("WEDGE_CACHE_DIR"); env != nullptr && *env != '\0') {
    return fs::absolute(env);
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return fs::path(home) / ".cache" / "wedge";
  }
  return make_error("no cache directory: set WEDGE_CACHE_DIR or HOME, or pass --cache");
}

Result<std::string> format_manifest(const ManifestHeader& header,
                                    const std::vector<CpioEntry>& entries,
                                    const std::map<std::string, std::string>& digest_of) {
  std::string out = fmt::format("wedge-image-format {}\n", kImageFormatVersion);
  out += fmt::format("kernel {} sha256:{}\n", header.kernel_release, header.kernel_sha256);
  out += fmt::format("boot-modules {}\n", join(header.boot_modules));
  out += fmt::format("extra-modules {}\n", join(header.extra_modules));
  out += fmt::format("tools {}\n", join(header.tools));
  for (const CpioEntry& e : entries) {
    switch (e.kind) {
      case CpioEntry::Kind::kDirectory:
        out += fmt::format("dir {} {:o}\n", e.path, e.mode);
        break;
      case CpioEntry::Kind::kSymlink:
        out += fmt::format("symlink {} -> {}\n", e.path, e.data);
        break;
      case CpioEntry::Kind::kCharDevice:
        out += fmt::format("chardev {} {:o} {}:{}\n", e.path, e.mode, e.rdev_major, e.rdev_minor);
        break;
      case CpioEntry::Kind::kFile:
        if (e.source.empty()) {
          // Generated files are small: their bytes go in whole, length first.
          out += fmt::format("bytes {} {:o} {}\n{}\n", e.path, e.mode, e.data.size(), e.data);
        } else {
          auto digest = digest_of.find(e.source.string());
          if (digest == digest_of.end()) return make_error("no digest for {}", e.source.string());
          out += fmt::format("file {} {:o} sha256:{}\n", e.path, e.mode, digest->second);
        }
        break;
    }
  }
  return out;
}

Result<std::string> build_manifest(ManifestHeader header, const fs::path& kernel,
                                   const ImageTree& tree) {
  std::vector<CpioEntry> entries = tree.entries();
  WEDGE_TRY(header.kernel_sha256, sha256_file(kernel));
  std::map<std::string, std::string> digest_of;
  for (const CpioEntry& e : entries) {
    if (e.kind != CpioEntry::Kind::kFile || e.source.empty()) continue;
    auto [it, added] = digest_of.emplace(e.source.string(), "");
    if (added) {
      WEDGE_TRY(it->second, sha256_file(e.source));
    }
  }
  return format_manifest(header, entries, digest_of);
}

std::optional<GuestImage> load_cached_image(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / kKernelFile, ec) || !fs::is_regular_file(dir / kInitrdFile, ec)) {
    return std::nullopt;
  }
  auto text = read_file(dir / kMetadataFile);
  if (!text) return std::nullopt;
  auto json = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || json.value("format", 0) != kImageFormatVersion) return std::nullopt;
  GuestImage image;
  image.kernel = dir / kKernelFile;
  image.initrd = dir / kInitrdFile;
  if (fs::is_regular_file(dir / kSystemMapFile, ec)) image.system_map = dir / kSystemMapFile;
  image.kernel_release = json.value("kernel_release", "");
  image.hash = json.value("hash", "");
  image.initrd_bytes = fs::file_size(image.initrd, ec);
  if (ec) return std::nullopt;
  image.pinned_bytes = json.value("pinned_bytes", uint64_t{0});
  image.boot_modules_in_order = json.value("boot_modules_in_order", std::vector<std::string>{});
  image.from_cache = true;
  return image;
}

void remove_abandoned_temp_dirs(const fs::path& dir) {
  using namespace std::chrono_literals;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    bool temp =
        name.starts_with(".build-") || name.starts_with(".fetch-") || name.starts_with(".resolve-");
    if (!temp || !entry.is_directory(ec)) continue;
    auto mtime = fs::last_write_time(entry.path(), ec);
    if (!ec && now - mtime > 24h) fs::remove_all(entry.path(), ec);
  }
}

Status write_image_metadata(const fs::path& dir, const GuestImage& image) {
  nlohmann::json json = {
      {"format", kImageFormatVersion},
      {"kernel_release", image.kernel_release},
      {"hash", image.hash},
      {"initrd_bytes", image.initrd_bytes},
      {"pinned_bytes", image.pinned_bytes},
      {"boot_modules_in_order", image.boot_modules_in_order},
  };
  return write_file_atomic(dir / kMetadataFile, json.dump(2) + "\n");
}

}  // namespace wedge::image
