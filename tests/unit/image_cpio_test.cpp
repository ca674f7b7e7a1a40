// Unit tests for vm-images/cpio and write_initrd_with_extras: archives GNU cpio extracts
// as written, byte-identical output for identical input, and appended archives.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/cpio.h"
#include "vm-images/image.h"
#include "vm-images/image_tree.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// What a newc reader sees; walks concatenated archives and the zero padding between
// them the way the kernel's initramfs unpacker does.
struct ReadEntry {
  std::string name;
  uint32_t mode = 0;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string data;
};

std::vector<ReadEntry> read_newc(const std::string& bytes) {
  std::vector<ReadEntry> out;
  size_t pos = 0;
  auto field = [&](size_t i) {
    return static_cast<uint32_t>(std::stoul(bytes.substr(pos + 6 + i * 8, 8), nullptr, 16));
  };
  auto align = [](size_t n) { return (n + 3) & ~size_t{3}; };
  while (pos < bytes.size()) {
    if (bytes[pos] == '\0') {
      ++pos;
      continue;
    }
    EXPECT_EQ(pos % 4, 0u);
    EXPECT_EQ(bytes.substr(pos, 6), "070701");
    ReadEntry e;
    e.mode = field(1);
    uint32_t size = field(6);
    e.rdev_major = field(9);
    e.rdev_minor = field(10);
    uint32_t namesize = field(11);
    e.name = bytes.substr(pos + 110, namesize - 1);
    pos = align(pos + 110 + namesize);
    e.data = bytes.substr(pos, size);
    pos = align(pos + size);
    if (e.name != "TRAILER!!!") out.push_back(std::move(e));
  }
  return out;
}

std::vector<CpioEntry> sample_entries(const fs::path& host_file) {
  return {
      CpioEntry::directory("/etc"),
      CpioEntry::file_from_bytes("/etc/hostname", "wedge\n"),
      CpioEntry::directory("/usr", 0755),
      CpioEntry::directory("/usr/bin", 0750),
      CpioEntry::file_from_host("/usr/bin/tool", host_file, 0755),
      CpioEntry::symlink("/usr/bin/alias", "/usr/bin/tool"),
      CpioEntry::file_from_bytes("/empty", ""),
      CpioEntry::char_device("/console", 0600, 5, 1),
  };
}

TEST(Cpio, HeaderIsNewcAndPadsNameToFourBytes) {
  std::string h = cpio_header("abc", 1, 0100644, 1, 6, 0, 0);
  EXPECT_EQ(h.size() % 4, 0u);
  EXPECT_EQ(h.substr(0, 110),
            "070701"
            "00000001000081A4000000000000000000000001000000000000000600000000"
            "0000000000000000000000000000000400000000");
  EXPECT_EQ(h.substr(110), std::string("abc\0\0\0", 6));  // 110 + 6: next entry 4-aligned
}

TEST(Cpio, GnuCpioExtractsWhatWasWritten) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path host = dir->path() / "tool";
  std::string payload(70001, 'x');  // not a multiple of 4: exercises data padding
  payload[0] = '#';
  ASSERT_TRUE(write_file_atomic(host, payload).ok());
  fs::path archive = dir->path() / "out.cpio";
  std::vector<CpioEntry> entries = sample_entries(host);
  entries.pop_back();  // extracting a device node needs root; read_newc checks it below
  ASSERT_TRUE(write_cpio(archive, entries).ok());

  fs::path into = dir->path() / "x";
  fs::create_directory(into);
  auto out = run_command(
      {"cpio", "-idm", "--no-absolute-filenames", "-D", into.string(), "-F", archive.string()},
      30s);
  ASSERT_TRUE(out.ok()) << out.error().message();
  ASSERT_TRUE(out->status.success()) << out->err;
  EXPECT_EQ(*read_file(into / "etc/hostname"), "wedge\n");
  EXPECT_EQ(*read_file(into / "usr/bin/tool"), payload);
  EXPECT_EQ(*read_file(into / "empty"), "");
  EXPECT_EQ(fs::read_symlink(into / "usr/bin/alias"), "/usr/bin/tool");
  EXPECT_EQ(fs::status(into / "usr/bin").permissions(), static_cast<fs::perms>(0750));
  EXPECT_EQ(fs::status(into / "usr/bin/tool").permissions(), static_cast<fs::perms>(0755));
  struct stat st {};
  ASSERT_EQ(::stat((into / "etc/hostname").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtime, 0);
  EXPECT_EQ(fs::file_size(archive) % 512, 0u);
}

TEST(Cpio, SameInputSameBytes) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path host = dir->path() / "tool";
  ASSERT_TRUE(write_file_atomic(host, "#!/bin/sh\n").ok());
  ASSERT_TRUE(write_cpio(dir->path() / "a.cpio", sample_entries(host)).ok());
  ASSERT_TRUE(write_cpio(dir->path() / "b.cpio", sample_entries(host)).ok());
  std::string a = *read_file(dir->path() / "a.cpio");
  EXPECT_EQ(a, *read_file(dir->path() / "b.cpio"));

  std::vector<ReadEntry> read = read_newc(a);
  ASSERT_EQ(read.size(), 8u);
  EXPECT_EQ(read[0].name, "etc");
  EXPECT_EQ(read[0].mode, 040755u);
  EXPECT_EQ(read[5].name, "usr/bin/alias");
  EXPECT_EQ(read[5].mode, 0120777u);
  EXPECT_EQ(read[5].data, "/usr/bin/tool");
  EXPECT_EQ(read[7].name, "console");
  EXPECT_EQ(read[7].mode, 020600u);
  EXPECT_EQ(read[7].rdev_major, 5u);
  EXPECT_EQ(read[7].rdev_minor, 1u);
}

TEST(ImageTree, ParentsComeFirstAndSizesAddUp) {
  ImageTree tree;
  tree.add_bytes("/etc/wedge/modules.load", "abc\n");
  tree.add_symlink("/usr/sbin/modprobe", "/bin/busybox");
  tree.add_bytes("/etc//hostname", "wedge\n");
  tree.add_char_device("/dev/null", 0666, 1, 3);
  std::vector<std::string> paths;
  for (const auto& e : tree.entries()) paths.push_back(e.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/dev", "/dev/null", "/etc", "/etc/hostname",
                                             "/etc/wedge", "/etc/wedge/modules.load", "/usr",
                                             "/usr/sbin", "/usr/sbin/modprobe"}));
  EXPECT_EQ(tree.file_bytes(), 10u);
  EXPECT_TRUE(tree.contains("/usr/sbin/modprobe"));
  EXPECT_FALSE(tree.add_host_file("/x", "/nonexistent/file", 0644).ok());
}

TEST(Extras, AppendedArchiveHoldsFilesAndTheirParents) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path base = dir->path() / "base.cpio";
  ASSERT_TRUE(write_cpio(base, {CpioEntry::directory("/extra"),
                                CpioEntry::file_from_bytes("/init", "#!/bin/sh\n", 0755)})
                  .ok());
  fs::path repro = dir->path() / "repro";
  ASSERT_TRUE(write_file_atomic(repro, "binary").ok());
  fs::permissions(repro, static_cast<fs::perms>(0755));
  fs::path out = dir->path() / "run.cpio";
  ASSERT_TRUE(write_initrd_with_extras(base, {{repro, "/extra/bin/repro"}}, out).ok());

  std::string base_bytes = *read_file(base);
  std::string bytes = *read_file(out);
  ASSERT_GT(bytes.size(), base_bytes.size());
  EXPECT_EQ(bytes.substr(0, base_bytes.size()), base_bytes);
  std::vector<ReadEntry> read = read_newc(bytes);
  std::vector<std::string> names;
  for (const auto& e : read) names.push_back(e.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"extra", "init", "extra", "extra/bin", "extra/bin/repro"}));
  EXPECT_EQ(read.back().data, "binary");
  EXPECT_EQ(read.back().mode, 0100755u);

  auto bad = write_initrd_with_extras(base, {{repro, "relative/path"}}, out);
  ASSERT_FALSE(bad.ok());
  auto missing = write_initrd_with_extras(dir->path() / "nope.cpio", {}, out);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("nope.cpio"), std::string::npos);
}

}  // namespace
}  // namespace wedge::image
