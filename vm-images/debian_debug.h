// Debug files of a Debian kernel, from its linux-image-<release>-dbg package: the real
// System.map (the one in linux-image-<release> is a placeholder) and the vmlinux with DWARF
// that `crash` needs to read a memory dump. Fetched with apt-get download (283 MB for
// 6.1 cloud), only the wanted members extracted, kept in the cache per release.
//
//   WEDGE_TRY(DebugFiles d, fetch_debian_debug_files("6.1.0-56-cloud-amd64",
//                                                    cache / "debug", {.vmlinux = true},
//                                                    progress));
//   // d.system_map, d.vmlinux
#pragma once

#include <filesystem>
#include <string>

#include "harness/util/result.h"
#include "vm-images/image.h"

namespace wedge::image {

struct DebugFiles {
  std::filesystem::path system_map;
  std::filesystem::path vmlinux;  // empty unless asked for
};

struct DebugWanted {
  bool vmlinux = false;  // 590 MB unpacked; System.map (3.6 MB) always comes
};

// "linux-image-6.1.0-56-cloud-amd64-dbg".
[[nodiscard]] std::string debug_package_for(const std::string& release);

// The cached files under debug_dir/<release>/ when present, without touching the network.
[[nodiscard]] Result<DebugFiles> cached_debian_debug_files(const std::string& release,
                                                           const std::filesystem::path& debug_dir,
                                                           DebugWanted wanted);

// Cached files, or downloads the -dbg package and extracts what is wanted.
[[nodiscard]] Result<DebugFiles> fetch_debian_debug_files(const std::string& release,
                                                          const std::filesystem::path& debug_dir,
                                                          DebugWanted wanted,
                                                          const ProgressFn& progress);

}  // namespace wedge::image
