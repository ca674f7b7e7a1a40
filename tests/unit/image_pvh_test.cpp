// Unit tests for vm-images/pvh_kernel: the payload in a synthetic setup header, the PVH note
// in synthetic ELF images, decompression, and the per-kernel cache of the unpacked vmlinux.
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "harness/util/files.h"
#include "vm-images/pvh_kernel.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;

struct Note {
  std::string name;  // without its NUL
  uint32_t type = 0;
  std::string desc;
};

void put(std::string& bytes, size_t at, const void* data, size_t size) {
  if (bytes.size() < at + size) bytes.resize(at + size, '\0');
  std::memcpy(bytes.data() + at, data, size);
}

void pad4(std::string& bytes) { bytes.resize((bytes.size() + 3) / 4 * 4, '\0'); }

// An ELF64 file with one PT_NOTE segment holding notes (4-byte aligned, as vmlinux has them).
std::string synthetic_elf(const std::vector<Note>& notes, uint16_t machine = EM_X86_64,
                          unsigned char elf_class = ELFCLASS64) {
  std::string segment;
  for (const Note& n : notes) {
    Elf64_Nhdr h{static_cast<Elf64_Word>(n.name.size() + 1), static_cast<Elf64_Word>(n.desc.size()),
                 n.type};
    put(segment, segment.size(), &h, sizeof h);
    segment += n.name;
    segment += '\0';
    pad4(segment);
    segment += n.desc;
    pad4(segment);
  }
  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = elf_class;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = machine;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof eh;
  eh.e_ehsize = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 2;
  Elf64_Phdr load{};
  load.p_type = PT_LOAD;
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = sizeof eh + 2 * sizeof(Elf64_Phdr);
  note.p_filesz = segment.size();
  note.p_align = 4;
  std::string bytes;
  put(bytes, 0, &eh, sizeof eh);
  put(bytes, sizeof eh, &load, sizeof load);
  put(bytes, sizeof eh + sizeof load, &note, sizeof note);
  return bytes + segment + std::string(256, 'k');  // some "kernel" after the notes
}

const Note kPvhNote{"Xen", 18, std::string("\x00\x10\x00\x01", 4)};
const Note kLinuxNote{"Linux", 18, "abcd"};

// Compresses data as one raw stream with libarchive's filter `filter` ("xz", "gzip", ...).
std::string compress(const std::string& data, const std::string& filter) {
  std::unique_ptr<struct archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                                   archive_write_free);
  EXPECT_EQ(archive_write_add_filter_by_name(a.get(), filter.c_str()), ARCHIVE_OK);
  EXPECT_EQ(archive_write_set_format_raw(a.get()), ARCHIVE_OK);
  std::string out(data.size() + 4096, '\0');
  size_t used = 0;
  EXPECT_EQ(archive_write_open_memory(a.get(), out.data(), out.size(), &used), ARCHIVE_OK);
  std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                         archive_entry_free);
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(a.get(), e.get()), ARCHIVE_OK);
  EXPECT_EQ(archive_write_data(a.get(), data.data(), data.size()),
            static_cast<la_ssize_t>(data.size()));
  EXPECT_EQ(archive_write_close(a.get()), ARCHIVE_OK);
  out.resize(used);
  return out;
}

std::string le32(uint32_t value) {
  std::string bytes;
  put(bytes, 0, &value, sizeof value);
  return bytes;
}

// A payload as a kernel build makes it: the compressed stream, then (but for gzip, whose trailer
// already ends with it) the unpacked size.
std::string kernel_payload(const std::string& data, const std::string& filter) {
  std::string stream = compress(data, filter);
  return filter == "gzip" ? stream : stream + le32(static_cast<uint32_t>(data.size()));
}

// A bzImage: setup_sects sectors of setup after the boot sector, then the protected-mode code
// whose payload_offset points at payload.
std::string synthetic_bzimage(const std::string& payload, uint8_t setup_sects = 0,
                              uint16_t protocol = 0x020f) {
  const size_t protected_mode = ((setup_sects == 0 ? 4 : setup_sects) + 1) * 512;
  const uint32_t payload_offset = 0x3b4;
  const uint32_t payload_length = static_cast<uint32_t>(payload.size());
  std::string bytes(protected_mode + payload_offset, '\0');
  bytes[0x1f1] = static_cast<char>(setup_sects);
  bytes.replace(0x202, 4, "HdrS");
  put(bytes, 0x206, &protocol, sizeof protocol);
  put(bytes, 0x248, &payload_offset, sizeof payload_offset);
  put(bytes, 0x24c, &payload_length, sizeof payload_length);
  bytes += payload;
  return bytes + std::string(64, '\0');  // what follows the payload in a real bzImage
}

TEST(PvhKernel, FindsPayloadFromSetupHeader) {
  std::string image = synthetic_bzimage("PAYLOAD", /*setup_sects=*/27);
  auto p = parse_bzimage_payload(image, image.size());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->offset, 28u * 512 + 0x3b4);
  EXPECT_EQ(p->length, 7u);
  EXPECT_EQ(p->protocol, 0x020f);
  EXPECT_EQ(image.substr(p->offset, 7), "PAYLOAD");
}

TEST(PvhKernel, ZeroSetupSectsMeansFour) {
  std::string image = synthetic_bzimage("PAYLOAD", /*setup_sects=*/0);
  auto p = parse_bzimage_payload(image, image.size());
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->offset, 5u * 512 + 0x3b4);
}

TEST(PvhKernel, RejectsOldProtocolMissingMagicAndShortFiles) {
  std::string old = synthetic_bzimage("PAYLOAD", 4, 0x0207);
  auto p = parse_bzimage_payload(old, old.size());
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("2.07"), std::string::npos) << p.error().message();

  std::string no_magic = synthetic_bzimage("PAYLOAD");
  no_magic.replace(0x202, 4, "ELF!");
  EXPECT_FALSE(parse_bzimage_payload(no_magic, no_magic.size()).ok());

  std::string image = synthetic_bzimage("PAYLOAD");
  auto past = parse_bzimage_payload(image, 5 * 512 + 0x3b4 + 4);  // cut inside the payload
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message().find("runs past"), std::string::npos);
}

TEST(PvhKernel, AcceptsXenNoteOfType18) {
  EXPECT_TRUE(check_pvh_entry(synthetic_elf({kLinuxNote, kPvhNote})).ok());
}

TEST(PvhKernel, RejectsOtherNotesAndOtherMachines) {
  auto other_type = check_pvh_entry(synthetic_elf({{"Xen", 17, "abcd"}, kLinuxNote}));
  ASSERT_FALSE(other_type.ok());
  EXPECT_NE(other_type.error().message().find("no PVH entry"), std::string::npos);
  EXPECT_FALSE(check_pvh_entry(synthetic_elf({{"Xenon", 18, "abcd"}})).ok());
  auto arm = check_pvh_entry(synthetic_elf({kPvhNote}, EM_AARCH64));
  ASSERT_FALSE(arm.ok());
  EXPECT_NE(arm.error().message().find("x86-64"), std::string::npos);
  EXPECT_FALSE(check_pvh_entry(synthetic_elf({kPvhNote}, EM_X86_64, ELFCLASS32)).ok());
  EXPECT_FALSE(
      check_pvh_entry("MZ not an elf at all, just bytes long enough for a header....").ok());
}

TEST(PvhKernel, RejectsNotesRunningPastTheirSegment) {
  std::string elf = synthetic_elf({kPvhNote});
  // The note's namesz (the segment's first word) claims more than the segment holds.
  const size_t segment = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
  const uint32_t huge = 0x7ffffff0;
  put(elf, segment, &huge, sizeof huge);
  EXPECT_FALSE(check_pvh_entry(elf).ok());
  // A truncated file: the note segment lies past the end.
  EXPECT_FALSE(check_pvh_entry(synthetic_elf({kPvhNote}).substr(0, segment + 4)).ok());
}

TEST(PvhKernel, DecompressesEachKernelCompression) {
  const std::string elf = synthetic_elf({kPvhNote});
  for (const char* filter : {"xz", "gzip", "bzip2", "zstd", "lz4", "lzma"}) {
    std::string name;
    auto out = decompress_kernel_payload(kernel_payload(elf, filter), &name);
    ASSERT_TRUE(out.ok()) << filter << ": " << out.error().message();
    EXPECT_EQ(*out, elf) << filter;
    EXPECT_EQ(name, filter);
  }
}

TEST(PvhKernel, DecompressionWantsExactlyTheStatedSize) {
  auto first = decompress_kernel_payload(compress(std::string(1 << 20, 'a'), "xz") + le32(4096));
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(*first, std::string(4096, 'a'));
  auto shorter = decompress_kernel_payload(compress(std::string(100, 'a'), "xz") + le32(4096));
  ASSERT_FALSE(shorter.ok());
  EXPECT_NE(shorter.error().message().find("ended after 100 of its 4096 bytes"), std::string::npos)
      << shorter.error().message();
  auto huge = decompress_kernel_payload(compress("a", "xz") + le32(0xfffffff0));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("more than 512 MiB"), std::string::npos)
      << huge.error().message();
  auto plain = decompress_kernel_payload("plain bytes, not compressed at all" + le32(4));
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message().find("not known"), std::string::npos);
}

class BootKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-pvh-test");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  fs::path write_bzimage(const std::string& name, const std::string& elf) {
    fs::path path = dir_->path() / name;
    EXPECT_TRUE(write_file_atomic(path, synthetic_bzimage(kernel_payload(elf, "xz"))).ok());
    return path;
  }
  fs::path cache() const { return dir_->path() / "boot-kernels"; }
  std::optional<TempDir> dir_;
};

TEST_F(BootKernelTest, UnpacksOnceAndReusesTheVmlinux) {
  const std::string elf = synthetic_elf({kPvhNote});
  fs::path bzimage = write_bzimage("bzImage", elf);
  auto first = boot_kernel_for(bzimage, cache());
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_TRUE(first->pvh);
  EXPECT_EQ(first->path.filename(), "vmlinux");
  EXPECT_EQ(first->path.parent_path().parent_path(), cache());
  EXPECT_EQ(first->path.parent_path().filename().string().size(), 64u);  // sha256 hex
  EXPECT_EQ(first->detail, "xz payload, 0 MiB");
  auto unpacked = read_file(first->path);
  ASSERT_TRUE(unpacked.ok());
  EXPECT_EQ(*unpacked, elf);

  // The second call takes the cached file as it is, without unpacking again.
  ASSERT_TRUE(write_file_atomic(first->path, "cached").ok());
  auto second = boot_kernel_for(bzimage, cache());
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_TRUE(second->pvh);
  EXPECT_EQ(second->path, first->path);
  EXPECT_EQ(second->detail, "xz payload, 0 MiB");
  EXPECT_EQ(*read_file(second->path), "cached");
}

TEST_F(BootKernelTest, KernelWithoutPvhBootsItsBzImage) {
  fs::path bzimage = write_bzimage("bzImage-nopvh", synthetic_elf({kLinuxNote}));
  auto boot = boot_kernel_for(bzimage, cache());
  ASSERT_TRUE(boot.ok()) << boot.error().message();
  EXPECT_FALSE(boot->pvh);
  EXPECT_EQ(boot->path, bzimage);
  EXPECT_NE(boot->detail.find("no PVH entry"), std::string::npos) << boot->detail;
  // Remembered: the same answer again, from the cache.
  auto again = boot_kernel_for(bzimage, cache());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->path, bzimage);
  EXPECT_EQ(again->detail, boot->detail);
}

TEST_F(BootKernelTest, NotABzImageBootsAsItIs) {
  fs::path file = dir_->path() / "vmlinux-elf";
  ASSERT_TRUE(write_file_atomic(file, synthetic_elf({kPvhNote})).ok());
  auto boot = boot_kernel_for(file, cache());
  ASSERT_TRUE(boot.ok()) << boot.error().message();
  EXPECT_FALSE(boot->pvh);
  EXPECT_EQ(boot->path, file);
  EXPECT_NE(boot->detail.find("HdrS"), std::string::npos) << boot->detail;
}

TEST_F(BootKernelTest, MissingKernelIsAnError) {
  EXPECT_FALSE(boot_kernel_for(dir_->path() / "no-such-bzImage", cache()).ok());
}

}  // namespace
}  // namespace wedge::image
