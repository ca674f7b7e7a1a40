// Fetches a stock guest kernel, Debian's linux-image-cloud-amd64 ("default") or
// linux-image-amd64 ("debian-amd64"), into the cache with apt-get download + dpkg-deb -x (no
// root install, no dpkg database), and runs depmod on it.
//
//   WEDGE_TRY(DebianKernel k, fetch_debian_kernel(cache / "kernels", *debian_flavour("default"),
//                                                 progress));
//   // k.root / "boot/vmlinuz-" + k.release
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::image {

// A Debian kernel flavour wedge boots by name ([guest] kernel = NAME).
struct DebianFlavour {
  std::string_view name;         // "default", "debian-amd64"
  std::string_view metapackage;  // always depends on the current kernel of the flavour
};

// The flavour a [guest] kernel value names: "default" (and "") is the cloud kernel
// (linux-image-cloud-amd64: small, no 9p), "debian-amd64" the generic one (linux-image-amd64:
// ~400 MB unpacked, has 9p); nullopt for anything else (a bzImage path).
[[nodiscard]] std::optional<DebianFlavour> debian_flavour(std::string_view kernel);

// The kernel release a metapackage's Depends field names (the first linux-image-<release>
// whose release starts with a digit):
// "linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)" -> "6.1.0-56-cloud-amd64".
[[nodiscard]] Result<std::string> release_from_depends(std::string_view depends);

struct DebianKernel {
  std::string release;         // "6.1.0-56-cloud-amd64"
  std::filesystem::path root;  // the extracted package: boot/, lib/modules/<release>/
};

// Returns the flavour's extracted current kernel under kernels_dir/<release>/root,
// downloading it when missing. The metapackage is re-resolved only when apt's package lists
// changed since the last time (so offline use of an extracted kernel works and costs no apt
// call); kernels_dir/<flavour name>.json remembers the answer.
[[nodiscard]] Result<DebianKernel> fetch_debian_kernel(const std::filesystem::path& kernels_dir,
                                                       const DebianFlavour& flavour,
                                                       const ProgressFn& progress);

// One exact Debian kernel release, "6.1.0-52-cloud-amd64" (any linux-image-<release> apt can
// download), under kernels_dir/<release>/root like the flavours' kernels: downloaded and
// indexed (depmod) the first time, then taken from the cache with no apt call.
[[nodiscard]] Result<DebianKernel> fetch_debian_release(const std::filesystem::path& kernels_dir,
                                                        const std::string& release,
                                                        const ProgressFn& progress);

}  // namespace wedge::image
