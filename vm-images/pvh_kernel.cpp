// Implementation of pvh_kernel.h: the setup header (Documentation/arch/x86/boot.rst), the ELF
// note walk, libarchive's raw reader for the payload, and the per-kernel cache.
#include "vm-images/pvh_kernel.h"

#include <archive.h>
#include <archive_entry.h>
#include <elf.h>

#include <cstring>
#include <memory>

#include "harness/util/files.h"
#include "harness/util/sha256.h"

namespace wedge::image {

namespace fs = std::filesystem;

namespace {

constexpr size_t kSetupSectsOffset = 0x1f1;
constexpr size_t kMagicOffset = 0x202;
constexpr size_t kVersionOffset = 0x206;
constexpr size_t kPayloadOffsetOffset = 0x248;
constexpr size_t kPayloadLengthOffset = 0x24c;
constexpr uint16_t kMinProtocol = 0x0208;  // the first with payload_offset and payload_length
constexpr uint32_t kXenElfnotePhys32Entry = 18;

constexpr char kVmlinuxFile[] = "vmlinux";
constexpr char kPayloadFile[] = "payload";  // the compression's name, written before vmlinux
constexpr char kNoPvhFile[] = "no-pvh";     // why this bzImage boots as it is

// Little-endian field of type T at offset; the caller has checked the bounds.
template <typename T>
T read_le(std::string_view bytes, size_t offset) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |=
        static_cast<T>(static_cast<T>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i));
  }
  return value;
}

// A struct from <elf.h> copied out of bytes (x86-64 hosts read little-endian ELF natively).
template <typename T>
bool read_struct(std::string_view bytes, uint64_t offset, T& out) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) return false;
  std::memcpy(&out, bytes.data() + offset, sizeof(T));
  return true;
}

uint64_t align_up(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

// Whether the notes in [begin, begin + size) hold a "Xen" note of type 18.
bool notes_hold_pvh_entry(std::string_view notes, uint64_t alignment) {
  uint64_t at = 0;
  while (at + sizeof(Elf64_Nhdr) <= notes.size()) {
    Elf64_Nhdr note;
    std::memcpy(&note, notes.data() + at, sizeof note);
    uint64_t name_at = at + sizeof note;
    uint64_t desc_at = align_up(name_at + note.n_namesz, alignment);
    uint64_t next = align_up(desc_at + note.n_descsz, alignment);
    if (desc_at > notes.size() || next > align_up(notes.size(), alignment) || next <= at) {
      return false;
    }
    std::string_view name = notes.substr(name_at, note.n_namesz);
    if (name == std::string_view("Xen\0", 4) && note.n_type == kXenElfnotePhys32Entry) return true;
    at = next;
  }
  return false;
}

// libarchive's message for its last error, which may be none.
std::string archive_why(struct archive* a) {
  const char* why = archive_error_string(a);
  return why != nullptr ? why : "unknown error";
}

std::string mib(uint64_t bytes) {
  return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

// Unpacks bzimage's payload and checks it; the error says why it cannot boot through PVH.
Result<std::string> unpack_vmlinux(std::string_view bzimage, std::string& filter) {
  WEDGE_TRY(BzImagePayload payload, parse_bzimage_payload(bzimage, bzimage.size()));
  WEDGE_TRY(std::string vmlinux,
            decompress_kernel_payload(bzimage.substr(payload.offset, payload.length), &filter));
  WEDGE_CHECK(check_pvh_entry(vmlinux));
  return vmlinux;
}

}  // namespace

Result<BzImagePayload> parse_bzimage_payload(std::string_view header, uint64_t file_size) {
  if (header.size() < kPayloadLengthOffset + 4 || header.substr(kMagicOffset, 4) != "HdrS") {
    return make_error("not a bzImage (no \"HdrS\" setup header at 0x202)");
  }
  BzImagePayload payload;
  payload.protocol = read_le<uint16_t>(header, kVersionOffset);
  if (payload.protocol < kMinProtocol) {
    return make_error("boot protocol {}.{:02} is older than 2.08 (no payload_offset)",
                      payload.protocol >> 8, payload.protocol & 0xff);
  }
  uint64_t setup_sects = static_cast<unsigned char>(header[kSetupSectsOffset]);
  if (setup_sects == 0) setup_sects = 4;
  const uint64_t protected_mode = (setup_sects + 1) * 512;
  payload.offset = protected_mode + read_le<uint32_t>(header, kPayloadOffsetOffset);
  payload.length = read_le<uint32_t>(header, kPayloadLengthOffset);
  if (payload.length == 0) return make_error("bzImage has no payload (payload_length 0)");
  if (payload.offset > file_size || file_size - payload.offset < payload.length) {
    return make_error("bzImage payload at 0x{:x} ({} bytes) runs past the file's {} bytes",
                      payload.offset, payload.length, file_size);
  }
  return payload;
}

Status check_pvh_entry(std::string_view elf) {
  Elf64_Ehdr eh;
  if (!read_struct(elf, 0, eh) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return make_error("not an ELF file");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
      eh.e_machine != EM_X86_64) {
    return make_error("not an ELF64 x86-64 image (class {}, machine {})", eh.e_ident[EI_CLASS],
                      eh.e_machine);
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
    return make_error("ELF program headers of {} bytes, not {}", eh.e_phentsize,
                      sizeof(Elf64_Phdr));
  }
  for (uint64_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read_struct(elf, eh.e_phoff + i * sizeof ph, ph)) {
      return make_error("ELF program header {} lies past the end", i);
    }
    if (ph.p_type != PT_NOTE) continue;
    if (ph.p_offset > elf.size() || elf.size() - ph.p_offset < ph.p_filesz) {
      return make_error("ELF note segment {} lies past the end", i);
    }
    if (notes_hold_pvh_entry(elf.substr(ph.p_offset, ph.p_filesz), ph.p_align == 8 ? 8 : 4)) {
      return ok_status();
    }
  }
  return make_error("no PVH entry (no Xen note of type 18; CONFIG_PVH)");
}

Result<std::string> decompress_kernel_payload(std::string_view payload, std::string* filter) {
  if (payload.size() < 4) return make_error("bzImage payload of {} bytes", payload.size());
  const uint64_t size = read_le<uint32_t>(payload, payload.size() - 4);
  if (size > kMaxVmlinuxBytes) {
    return make_error("bzImage payload unpacks to {}, more than {}", mib(size),
                      mib(kMaxVmlinuxBytes));
  }
  // The decoders would take the appended size for a broken second stream.
  const bool gzip = payload.starts_with("\x1f\x8b");
  const std::string_view compressed = gzip ? payload : payload.substr(0, payload.size() - 4);
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  archive_read_free);
  if (!a) return make_error("archive_read_new failed");
  // The compressions a kernel build offers (CONFIG_KERNEL_*) that libarchive decodes with its
  // own libraries; not "all", which may run external programs for others (lzop).
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_bzip2(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_lzma(a.get());
  archive_read_support_filter_lz4(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_raw(a.get());
  if (archive_read_open_memory(a.get(), compressed.data(), compressed.size()) != ARCHIVE_OK) {
    return make_error("reading the payload: {}", archive_why(a.get()));
  }
  struct archive_entry* entry = nullptr;
  if (archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) {
    return make_error("reading the payload: {}", archive_why(a.get()));
  }
  // Filter 0 is the outermost; a lone "none" means no compression libarchive knows.
  if (archive_filter_count(a.get()) < 2) {
    return make_error("payload compression not known (not xz, lzma, lz4, zstd, gzip or bzip2)");
  }
  const std::string name = archive_filter_name(a.get(), 0);
  if (filter != nullptr) *filter = name;
  std::string out(size, '\0');
  uint64_t got = 0;
  while (got < size) {
    la_ssize_t n = archive_read_data(a.get(), out.data() + got, size - got);
    if (n < 0) {
      return make_error("decompressing the {} payload after {} bytes: {}", name, got,
                        archive_why(a.get()));
    }
    if (n == 0) {
      return make_error("the {} payload ended after {} of its {} bytes", name, got, size);
    }
    got += static_cast<uint64_t>(n);
  }
  return out;
}

Result<BootKernel> boot_kernel_for(const fs::path& bzimage, const fs::path& cache_dir) {
  WEDGE_TRY(std::string digest, sha256_file(bzimage));
  const fs::path dir = cache_dir / digest;
  std::error_code ec;
  if (fs::is_regular_file(dir / kVmlinuxFile, ec)) {
    auto filter = read_file(dir / kPayloadFile);
    return BootKernel{dir / kVmlinuxFile, true,
                      fmt::format("{} payload, {}", filter ? *filter : "unknown",
                                  mib(fs::file_size(dir / kVmlinuxFile, ec)))};
  }
  if (auto why = read_file(dir / kNoPvhFile)) return BootKernel{bzimage, false, *why};

  WEDGE_TRY(std::string bytes, read_file(bzimage));
  std::string filter;
  auto vmlinux = unpack_vmlinux(bytes, filter);
  fs::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());
  if (!vmlinux) {
    const std::string why = vmlinux.error().message();
    WEDGE_CHECK(write_file_atomic(dir / kNoPvhFile, why));
    return BootKernel{bzimage, false, why};
  }
  WEDGE_CHECK(write_file_atomic(dir / kPayloadFile, filter));
  // Last: its presence means the entry is complete.
  WEDGE_CHECK(write_file_atomic(dir / kVmlinuxFile, *vmlinux));
  return BootKernel{dir / kVmlinuxFile, true,
                    fmt::format("{} payload, {}", filter, mib(vmlinux->size()))};
}

}  // namespace wedge::image
