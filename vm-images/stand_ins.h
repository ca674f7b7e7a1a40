// Stand-ins for shared libraries that guest tools link but never call in a wedge guest
// (vm-images/stand-ins/: libcrypto for CHAP, libsystemd for sd_notify). Every byte of the
// initramfs is pinned guest RAM, and for iscsid the real libraries and what they pull in are
// 7 MB. A stand-in replaces a library only for the tools a transport names, and only when
// `ldd -r` shows it resolves every symbol the tool and its other libraries need; otherwise the
// real libraries go in, as before.
//
//   WEDGE_TRY(auto libs, libraries_with_stand_ins("/usr/sbin/iscsid", default_stand_in_dir()));
//   // libs: {"/lib/.../libisns.so.0", ".../stand-ins/libcrypto.so.3", ...} or nullopt
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::image {

// Where the guest's dynamic loader finds libraries; a stand-in goes where the real one would.
inline constexpr std::string_view kGuestLibraryDir = "/lib/x86_64-linux-gnu";

// build/stand-ins next to the wedge binary (where CMake puts them).
std::filesystem::path default_stand_in_dir();

// True when `ldd -r` output (stdout and stderr) reports no unresolved symbol and no missing
// symbol version or library.
bool ldd_resolves_everything(std::string_view ldd_r_output);

// The shared libraries of program, with the stand-ins in dir in place of the real libraries
// they stand in for; nullopt when dir is missing or a stand-in lacks something the program
// needs. An error only when ldd itself cannot run.
[[nodiscard]] Result<std::optional<std::vector<std::string>>> libraries_with_stand_ins(
    const std::filesystem::path& program, const std::filesystem::path& dir);

// The guest path of a host library: a stand-in from dir goes in kGuestLibraryDir under its
// soname; any other library keeps its host path.
std::string guest_library_path(const std::string& host_library, const std::filesystem::path& dir);

}  // namespace wedge::image
