// The kernel release of a bzImage, read from its x86 boot-protocol setup header, so that
// a user's kernel can be matched with its lib/modules/<release>.
//
//   WEDGE_TRY(std::string rel, read_bzimage_release("arch/x86/boot/bzImage"));  // "6.9.0-rc1+"
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge::image {

// Parses the start of a bzImage: "HdrS" at 0x202, the kernel_version pointer (a 16-bit
// offset, relative to 0x200) at 0x20E, the version string ("6.1.0-56-cloud-amd64 (builder)
// #1 SMP ...") there. Returns its first word. bytes must reach past that string.
[[nodiscard]] Result<std::string> parse_bzimage_release(std::string_view bytes);

// Reads the first 64 KiB of path (the header and version string live there) and parses it.
[[nodiscard]] Result<std::string> read_bzimage_release(const std::filesystem::path& path);

}  // namespace wedge::image
