// Unit tests for vm-images/cpio and write_initrd_with_extras: archives that libarchive's reader
// and GNU cpio read back as written, byte-identical output for identical input, and appended
// archives.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/cpio.h"
#include "vm-images/image.h"
#include "vm-images/image_tree.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One member as libarchive's cpio reader sees it.
struct ReadEntry {
  std::string name;
  uint32_t mode = 0;  // type and permission bits
  int64_t ino = 0;
  unsigned nlink = 0;
  int64_t uid = -1;
  int64_t gid = -1;
  int64_t mtime = -1;
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string symlink;
  std::string data;
};

// Reads one newc archive (up to its trailer) from bytes with libarchive; the format must be
// newc ("070701", no checksums).
std::vector<ReadEntry> read_newc(std::string_view bytes) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                                  archive_read_free);
  archive_read_support_format_cpio(a.get());
  EXPECT_EQ(archive_read_open_memory(a.get(), bytes.data(), bytes.size()), ARCHIVE_OK);
  std::vector<ReadEntry> out;
  archive_entry* e = nullptr;
  int r = ARCHIVE_OK;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    EXPECT_EQ(archive_format(a.get()), ARCHIVE_FORMAT_CPIO_SVR4_NOCRC);
    ReadEntry entry;
    entry.name = archive_entry_pathname(e);
    entry.mode = archive_entry_mode(e);
    entry.ino = archive_entry_ino64(e);
    entry.nlink = archive_entry_nlink(e);
    entry.uid = archive_entry_uid(e);
    entry.gid = archive_entry_gid(e);
    entry.mtime = archive_entry_mtime(e);
    entry.rdev_major = archive_entry_rdevmajor(e);
    entry.rdev_minor = archive_entry_rdevminor(e);
    if (const char* target = archive_entry_symlink(e)) entry.symlink = target;
    char buf[4096];
    la_ssize_t n = 0;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) {
      entry.data.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(n, 0) << archive_error_string(a.get());
    out.push_back(std::move(entry));
  }
  EXPECT_EQ(r, ARCHIVE_EOF) << archive_error_string(a.get());
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

TEST(Cpio, LibarchiveReadsBackEveryEntryAsWritten) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path host = dir->path() / "tool";
  std::string payload(70001, 'y');  // more than one write block of the reader's buffer
  payload[0] = '#';
  ASSERT_TRUE(write_file_atomic(host, payload).ok());
  fs::path archive = dir->path() / "out.cpio";
  ASSERT_TRUE(write_cpio(archive, sample_entries(host)).ok());

  std::vector<ReadEntry> read = read_newc(*read_file(archive));
  ASSERT_EQ(read.size(), 8u);
  std::vector<std::string> names;
  for (const ReadEntry& e : read) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"etc", "etc/hostname", "usr", "usr/bin",
                                             "usr/bin/tool", "usr/bin/alias", "empty", "console"}));
  const std::vector<uint32_t> modes = {040755,  0100644, 040755,  040750,
                                       0100755, 0120777, 0100644, 020600};
  for (size_t i = 0; i < read.size(); ++i) {
    SCOPED_TRACE(read[i].name);
    EXPECT_EQ(read[i].mode, modes[i]);
    // Deterministic headers: inode numbers in entry order, owner root, mtime 0.
    EXPECT_EQ(read[i].ino, static_cast<int64_t>(i + 1));
    EXPECT_EQ(read[i].uid, 0);
    EXPECT_EQ(read[i].gid, 0);
    EXPECT_EQ(read[i].mtime, 0);
    EXPECT_EQ(read[i].nlink, (modes[i] & 0170000) == 040000 ? 2u : 1u);
  }
  EXPECT_EQ(read[1].data, "wedge\n");
  EXPECT_EQ(read[4].data, payload);
  EXPECT_EQ(read[5].symlink, "/usr/bin/tool");
  EXPECT_EQ(read[6].data, "");
  EXPECT_EQ(read[7].rdev_major, 5u);
  EXPECT_EQ(read[7].rdev_minor, 1u);
}

TEST(Cpio, SameInputSameBytes) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path host = dir->path() / "tool";
  ASSERT_TRUE(write_file_atomic(host, "#!/bin/sh\n").ok());
  ASSERT_TRUE(write_cpio(dir->path() / "a.cpio", sample_entries(host)).ok());
  // The host file's own mode and mtime must not reach the archive.
  ASSERT_EQ(::chmod(host.c_str(), 0600), 0);
  fs::last_write_time(host, fs::file_time_type::clock::now() - 1h);
  ASSERT_TRUE(write_cpio(dir->path() / "b.cpio", sample_entries(host)).ok());
  std::string a = *read_file(dir->path() / "a.cpio");
  EXPECT_EQ(a, *read_file(dir->path() / "b.cpio"));
  // And the bytes do depend on the entries.
  std::vector<CpioEntry> other = sample_entries(host);
  other[0].mode = 0700;
  ASSERT_TRUE(write_cpio(dir->path() / "c.cpio", other).ok());
  EXPECT_NE(a, *read_file(dir->path() / "c.cpio"));
}

TEST(Cpio, FinishedWriterRefusesMoreEntries) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  auto writer = CpioWriter::create(dir->path() / "x.cpio");
  ASSERT_TRUE(writer.ok()) << writer.error().message();
  ASSERT_TRUE(writer->add(CpioEntry::file_from_bytes("/a", "abc")).ok());
  EXPECT_EQ(writer->file_bytes(), 3u);
  ASSERT_TRUE(writer->finish().ok());
  auto late = writer->add(CpioEntry::directory("/b"));
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message().find("already finished"), std::string::npos);
  auto missing = CpioWriter::create(dir->path() / "x.cpio")
                     .value()
                     .add(CpioEntry::file_from_host("/m", dir->path() / "nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);
}

// The kernel unpacks archives back to back and wants each header 4-aligned from the start:
// an archive appended to a file of odd length starts after zero padding.
TEST(Cpio, AppendedArchiveStartsFourByteAligned) {
  auto dir = TempDir::create("wedge-cpio-test");
  ASSERT_TRUE(dir.ok());
  fs::path out = dir->path() / "odd.cpio";
  ASSERT_TRUE(write_file_atomic(out, "12345").ok());
  {
    auto writer = CpioWriter::create(out, /*append=*/true, /*first_inode=*/100);
    ASSERT_TRUE(writer.ok()) << writer.error().message();
    ASSERT_TRUE(writer->add(CpioEntry::file_from_bytes("/x", "data")).ok());
    ASSERT_TRUE(writer->finish().ok());
  }
  std::string bytes = *read_file(out);
  EXPECT_EQ(bytes.substr(0, 8), std::string("12345\0\0\0", 8));
  EXPECT_EQ(bytes.substr(8, 6), "070701");
  std::vector<ReadEntry> read = read_newc(std::string_view(bytes).substr(8));
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].name, "x");
  EXPECT_EQ(read[0].ino, 100);
  EXPECT_EQ(read[0].data, "data");
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
  ASSERT_EQ(base_bytes.size() % 4, 0u);
  std::vector<std::string> names;
  for (const auto& e : read_newc(base_bytes)) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"extra", "init"}));
  std::vector<ReadEntry> read = read_newc(std::string_view(bytes).substr(base_bytes.size()));
  names.clear();
  for (const auto& e : read) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"extra", "extra/bin", "extra/bin/repro"}));
  EXPECT_EQ(read.back().data, "binary");
  EXPECT_EQ(read.back().mode, 0100755u);
  EXPECT_EQ(read.front().ino, 1 << 24) << "inode numbers apart from the base's";

  auto bad = write_initrd_with_extras(base, {{repro, "relative/path"}}, out);
  ASSERT_FALSE(bad.ok());
  auto missing = write_initrd_with_extras(dir->path() / "nope.cpio", {}, out);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("nope.cpio"), std::string::npos);
}

}  // namespace
}  // namespace wedge::image
