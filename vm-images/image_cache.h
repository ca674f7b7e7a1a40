// The image cache: CACHE/images/<hash>/{vmlinuz, initrd.cpio, System.map, image.json,
// manifest.txt}, keyed by a hash of everything that goes into the image. A directory
// appears there only complete (built elsewhere, then renamed). The kernels guests boot sit apart
// in CACHE/boot-kernels/<sha256 of the bzImage>/ (pvh_kernel.h), shared by every image of it.
//
//   fs::path root = cache_root(request);
//   WEDGE_TRY(std::string hash, sha256_hex(manifest));
//   if (auto hit = load_cached_image(root / "images" / hash)) use(*hit);
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "vm-images/image.h"
#include "vm-images/image_tree.h"

namespace wedge::image {

// Bump when the builder changes what it puts into images, to invalidate cached ones.
inline constexpr int kImageFormatVersion = 1;

inline constexpr char kKernelFile[] = "vmlinuz";
inline constexpr char kInitrdFile[] = "initrd.cpio";
inline constexpr char kSystemMapFile[] = "System.map";
inline constexpr char kMetadataFile[] = "image.json";
inline constexpr char kManifestFile[] = "manifest.txt";
inline constexpr char kBootKernelsDir[] = "boot-kernels";  // under the cache root

// request.cache_dir, else $WEDGE_CACHE_DIR, else $HOME/.cache/wedge.
[[nodiscard]] Result<std::filesystem::path> cache_root(const ImageRequest& request);

// What besides the file tree decides an image's content.
struct ManifestHeader {
  std::string kernel_release;
  std::string kernel_sha256;
  std::vector<std::string> boot_modules;   // as requested
  std::vector<std::string> extra_modules;  // as requested
  std::vector<std::string> tools;
};

// The text that is hashed: one line per input, files by their digest. digest_of maps each
// host source path in the tree to its sha256. Pure and deterministic.
[[nodiscard]] Result<std::string> format_manifest(
    const ManifestHeader& header, const std::vector<CpioEntry>& entries,
    const std::map<std::string, std::string>& digest_of);

// Digests the kernel and every host file in the tree and returns the manifest.
[[nodiscard]] Result<std::string> build_manifest(ManifestHeader header,
                                                 const std::filesystem::path& kernel,
                                                 const ImageTree& tree);

// The image in dir, if dir holds a complete one (from_cache set).
[[nodiscard]] std::optional<GuestImage> load_cached_image(const std::filesystem::path& dir);

// Removes what builds and downloads killed mid-way left in dir: the ".build-*", ".fetch-*"
// and ".resolve-*" temp dirs older than a day (younger ones may belong to a running build).
void remove_abandoned_temp_dirs(const std::filesystem::path& dir);

// Writes image.json describing image into dir.
[[nodiscard]] Status write_image_metadata(const std::filesystem::path& dir,
                                          const GuestImage& image);

}  // namespace wedge::image
