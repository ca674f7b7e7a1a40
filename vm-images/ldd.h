// Shared libraries of a host program, as ldd reports them, so the program can be copied
// into the guest with everything it needs at the same absolute paths.
//
//   WEDGE_TRY(std::vector<std::string> libs, shared_libraries("/usr/sbin/nbd-client"));
//   // {"/lib/x86_64-linux-gnu/libgnutls.so.30", ..., "/lib64/ld-linux-x86-64.so.2"}
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::image {

// The dynamic loader every x86-64 glibc program names in its ELF header.
inline constexpr std::string_view kDynamicLoader = "/lib64/ld-linux-x86-64.so.2";

// Parses ldd's output (stdout and stderr together) into absolute library paths, in ldd's
// order, loader included. A static program ("not a dynamic executable", "statically
// linked") has none; the vdso has no file and is skipped; "=> not found" is an error.
[[nodiscard]] Result<std::vector<std::string>> parse_ldd_output(std::string_view text);

// Runs ldd on program and parses its output. library_path: directories searched before the
// host's own (LD_LIBRARY_PATH), for programs unpacked from packages the host lacks.
[[nodiscard]] Result<std::vector<std::string>> shared_libraries(
    const std::filesystem::path& program,
    const std::vector<std::filesystem::path>& library_path = {});

}  // namespace wedge::image
