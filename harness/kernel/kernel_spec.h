// One resolver for every place that takes a kernel (`--kernel`, matrix kernel axes, compare
// sides): a stock name ("default", "debian-amd64"), "debian:<release>" (any linux-image in
// Debian's archive, fetched into the cache), a bzImage file, a build folder of
// `wedge kernel build`, or a kernel tree built in place, turned into the files that make a
// whole kernel: bzImage, its modules (INSTALL_MOD_PATH folder, optional) and System.map.
//
//   WEDGE_TRY(KernelSpec k, resolve_kernel_spec("/root/.cache/wedge/kernel/builds/3f2a..."));
//   scenario.guest.kernel = k.kernel;   // k.modules_dir holds lib/modules/<k.release>
#pragma once

#include <filesystem>
#include <string>

#include "harness/util/result.h"

namespace wedge::kernel {

struct KernelSpec {
  // A stock name passed through as is, or the bzImage's absolute path.
  std::string kernel;
  bool stock = false;
  std::filesystem::path modules_dir;  // INSTALL_MOD_PATH (holds lib/modules/<release>); empty: none
  std::filesystem::path system_map;   // empty: unknown
  std::string release;                // empty when only the bzImage can tell
};

// Resolves spec. modules_dir, when not empty, is the user's --modules and wins over what the
// spec would find. A tree whose config builds modules but has none staged is an error that
// says to use `wedge kernel build`. cache_dir is --cache (empty: wedge's default cache), where
// "debian:<release>" kernels are kept.
[[nodiscard]] Result<KernelSpec> resolve_kernel_spec(const std::string& spec,
                                                     const std::filesystem::path& modules_dir = {},
                                                     const std::filesystem::path& cache_dir = {});

// The release of a "debian:<release>" spec ("6.1.0-52-cloud-amd64"), or "" for other specs.
[[nodiscard]] std::string debian_release_of(const std::string& spec);

// True when spec names a directory (a build folder or a tree), the new kinds of kernel.
[[nodiscard]] bool is_kernel_directory(const std::string& spec);

}  // namespace wedge::kernel
