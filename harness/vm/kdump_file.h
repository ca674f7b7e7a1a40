// QEMU writes kdump-compressed memory dumps as a "flattened" makedumpfile stream (so it can
// write to a pipe); crash reads that, but libkdumpfile (drgn) wants the seekable file that
// starts with "KDUMP   ". unflatten_kdump rebuilds it, like `makedumpfile -R`.
//
//   if (detect_dump_format(head) == DumpFormat::kFlattened)
//     WEDGE_CHECK(unflatten_kdump("vmcore.flat", "vmcore"));
#pragma once

#include <filesystem>
#include <string_view>

#include "harness/util/result.h"

namespace wedge::vm {

// Flattened format: a 4096-byte header starting with "makedumpfile\0", then records of
// {int64 offset, int64 size} (big-endian) followed by size bytes to place at offset, and a
// record of {-1, -1} at the end.
inline constexpr size_t kFlatHeaderSize = 4096;
inline constexpr std::string_view kFlatSignature{"makedumpfile\0", 13};
inline constexpr std::string_view kKdumpSignature = "KDUMP   ";

enum class DumpFormat { kKdump, kFlattened, kUnknown };

// Tells the formats apart from a file's first bytes (16 are enough).
[[nodiscard]] DumpFormat detect_dump_format(std::string_view head);

// Writes the seekable kdump file described by the flattened stream in flat to out (created
// or truncated, mode 0600). Fails on a bad header, a negative offset or size, or a stream
// that ends without its end record; out is removed on failure.
[[nodiscard]] Status unflatten_kdump(const std::filesystem::path& flat,
                                     const std::filesystem::path& out);

}  // namespace wedge::vm
