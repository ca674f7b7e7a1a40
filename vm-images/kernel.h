// The kernel an image boots and the module tree that goes with it: a stock Debian kernel
// ("default", "debian-amd64") from the cache, or the user's bzImage with its INSTALL_MOD_PATH
// directory (or none).
//
//   WEDGE_TRY(KernelFiles k, find_kernel(request, cache_root, progress));
//   // k.kernel, k.release, k.modules_dir (lib/modules/<release> with modules.dep, or empty)
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "harness/util/files.h"
#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::image {

struct KernelFiles {
  std::string release;
  std::filesystem::path kernel;       // bzImage
  std::filesystem::path system_map;   // empty when unknown
  std::filesystem::path modules_dir;  // lib/modules/<release> with modules.dep; empty: none
  // Holds a module index generated for a modules directory that had none (never written
  // into the user's directory).
  std::optional<TempDir> scratch;
};

// True for Debian's placeholder System.map ("The real System.map is in the ...-dbg package").
[[nodiscard]] bool is_placeholder_system_map(const std::filesystem::path& path);

// Finds (fetching if needed) the kernel request.kernel names.
[[nodiscard]] Result<KernelFiles> find_kernel(const ImageRequest& request,
                                              const std::filesystem::path& cache_root,
                                              const ProgressFn& progress);

}  // namespace wedge::image
