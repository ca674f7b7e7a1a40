// Fetches the default guest kernel, Debian's linux-image-cloud-amd64, into the cache with
// apt-get download + dpkg-deb -x (no root install, no dpkg database), and runs depmod on it.
//
//   WEDGE_TRY(DebianKernel k, fetch_debian_kernel(cache / "kernels", progress));
//   // k.root / "boot/vmlinuz-" + k.release
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::image {

// The metapackage that always depends on the current cloud kernel.
inline constexpr std::string_view kDebianKernelMetapackage = "linux-image-cloud-amd64";

// The kernel release a metapackage's Depends field names:
// "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)" -> "6.1.0-56-cloud-amd64".
[[nodiscard]] Result<std::string> release_from_depends(std::string_view depends);

struct DebianKernel {
  std::string release;         // "6.1.0-56-cloud-amd64"
  std::filesystem::path root;  // the extracted package: boot/, lib/modules/<release>/
};

// Returns the extracted current kernel under kernels_dir/<release>/root, downloading it
// when missing. The metapackage is re-resolved only when apt's package lists changed since
// the last time (so offline use of an extracted kernel works and costs no apt call).
[[nodiscard]] Result<DebianKernel> fetch_debian_kernel(const std::filesystem::path& kernels_dir,
                                                       const ProgressFn& progress);

}  // namespace wedge::image
