// The kernel a guest boots: a bzImage's uncompressed vmlinux when it has a PVH entry, so that
// QEMU jumps straight into it and the guest skips the decompressor (XZ under TCG costs about
// 3 s per boot), else the bzImage itself.
//
//   WEDGE_TRY(BootKernel boot, boot_kernel_for(img.kernel, cache_root / "boot-kernels"));
//   spec.kernel = boot.path;  // ".../boot-kernels/<sha256>/vmlinux" or the bzImage
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge::image {

// Where the compressed kernel sits in a bzImage, from its x86 boot-protocol setup header.
struct BzImagePayload {
  uint64_t offset = 0;  // from the start of the file
  uint64_t length = 0;
  uint16_t protocol = 0;  // boot protocol version, e.g. 0x020f
};

// Parses the setup header at the start of a bzImage: "HdrS" at 0x202, the protocol version
// (>= 2.08, which added payload_offset) at 0x206, setup_sects at 0x1f1 (0 means 4), and
// payload_offset (0x248) and payload_length (0x24c), both relative to the protected-mode code
// at (setup_sects + 1) * 512. file_size bounds the payload. Pure.
//
//   WEDGE_TRY(BzImagePayload p, parse_bzimage_payload(first_64k, file_size));
[[nodiscard]] Result<BzImagePayload> parse_bzimage_payload(std::string_view header,
                                                           uint64_t file_size);

// Whether elf is an ELF64 x86-64 image with a PT_NOTE holding a "Xen" note of type 18
// (XEN_ELFNOTE_PHYS32_ENTRY, the 32-bit PVH entry point). The error says what is missing
// ("no PVH entry (no Xen note of type 18; CONFIG_PVH)"). Pure.
//
//   if (Status pvh = check_pvh_entry(vmlinux); !pvh) log(pvh.error().message());
[[nodiscard]] Status check_pvh_entry(std::string_view elf);

// The largest vmlinux decompress_kernel_payload unpacks.
inline constexpr uint64_t kMaxVmlinuxBytes = 512ull << 20;

// Decompresses a bzImage's payload: one raw stream (xz, lzma, lz4, zstd, gzip or bzip2) followed
// by its unpacked size (4 bytes, little-endian), which a kernel build appends to every
// compression but gzip, whose own trailer ends with it. A stream that ends short of that size, or
// a size over kMaxVmlinuxBytes, is an error. *filter, if given, receives the compression's name.
//
//   WEDGE_TRY(std::string vmlinux, decompress_kernel_payload(payload, &filter));  // "xz"
[[nodiscard]] Result<std::string> decompress_kernel_payload(std::string_view payload,
                                                            std::string* filter = nullptr);

struct BootKernel {
  std::filesystem::path path;  // the file to boot
  bool pvh = false;            // path is the uncompressed vmlinux, booted through its PVH entry
  // For progress output: "xz payload, 63 MiB" when pvh, else why the bzImage boots
  // ("no PVH entry (...)").
  std::string detail;
};

// The kernel to boot for bzimage: cache_dir/<sha256 of bzimage>/vmlinux, unpacked once (written
// atomically, reused after), when bzimage carries a PVH entry; else bzimage itself, and the
// reason is remembered next to it so the next call does not unpack again. Errors only for I/O
// (reading bzimage, writing the cache); a kernel without PVH is not an error.
[[nodiscard]] Result<BootKernel> boot_kernel_for(const std::filesystem::path& bzimage,
                                                 const std::filesystem::path& cache_dir);

}  // namespace wedge::image
