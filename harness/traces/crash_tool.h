// Runs the `crash` utility on a guest memory dump (kdump-compressed, as wedge writes them):
// which kernel the dump is from (no vmlinux needed), and batch commands against it with the
// kernel's debug vmlinux. Commands go through a command file and argv, never a shell.
//
//   WEDGE_TRY(std::string release, traces::dump_kernel_release(dump));
//   WEDGE_TRY(std::string log, traces::run_crash(vmlinux, dump, {"log"}));
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::traces {

// `crash --osrelease DUMP`: the release from the dump's VMCOREINFO ("6.1.0-56-cloud-amd64").
// Fails when the file is not a dump crash can read, carries no VMCOREINFO, or names a release
// that is not valid_kernel_release (the dump is guest-controlled input: the release becomes a
// cache path and a package name).
[[nodiscard]] Result<std::string> dump_kernel_release(const std::filesystem::path& dump);

// A kernel release safe to use in a path and a Debian package name: 1 to 64 characters from
// [A-Za-z0-9.+_-], starting with a letter or digit, no "..". valid_kernel_release("6.1.0-56-
// cloud-amd64") is ok; "../../etc" and "6.1 x" are errors saying why.
[[nodiscard]] Status valid_kernel_release(std::string_view release);

// Runs commands (crash's own command language, one per line; "quit" is added) in one batch
// session and returns what they printed. Fails when crash cannot load the pair (a vmlinux
// that does not match the dump, a truncated dump) or times out.
[[nodiscard]] Result<std::string> run_crash(
    const std::filesystem::path& vmlinux, const std::filesystem::path& dump,
    const std::vector<std::string>& commands,
    std::chrono::milliseconds timeout = std::chrono::minutes(5));

}  // namespace wedge::traces
