// Writer for "newc" cpio archives, the format the kernel unpacks as initramfs, through
// libarchive (headers, 4-byte alignment and the trailer are its job). Output is deterministic
// (inode numbers in entry order, uid/gid 0, mtime 0): same entries, same bytes.
//
//   WEDGE_TRY(CpioWriter cpio, CpioWriter::create(out));
//   WEDGE_CHECK(cpio.add(CpioEntry::directory("/etc")));
//   WEDGE_CHECK(cpio.add(CpioEntry::file_from_bytes("/etc/hostname", "wedge\n")));
//   WEDGE_CHECK(cpio.finish());
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/result.h"

struct archive;  // libarchive's writer, kept out of this header

namespace wedge::image {

// One archive member. path is the absolute guest path ("/bin/busybox"); the archive stores
// it without the leading slash, as the kernel and `cpio -i` expect.
struct CpioEntry {
  enum class Kind { kDirectory, kFile, kSymlink, kCharDevice };
  Kind kind = Kind::kFile;
  std::string path;
  uint32_t mode = 0644;            // permission bits only; the kind adds the type bits
  std::filesystem::path source{};  // kFile: host file to copy (empty: use data)
  std::string data{};              // kFile without source: the bytes; kSymlink: the target
  uint32_t rdev_major = 0;         // kCharDevice
  uint32_t rdev_minor = 0;

  static CpioEntry directory(std::string path, uint32_t mode = 0755) {
    return {.kind = Kind::kDirectory, .path = std::move(path), .mode = mode};
  }
  static CpioEntry file_from_host(std::string path, std::filesystem::path source,
                                  uint32_t mode = 0644) {
    return {
        .kind = Kind::kFile, .path = std::move(path), .mode = mode, .source = std::move(source)};
  }
  static CpioEntry file_from_bytes(std::string path, std::string data, uint32_t mode = 0644) {
    return {.kind = Kind::kFile, .path = std::move(path), .mode = mode, .data = std::move(data)};
  }
  static CpioEntry symlink(std::string path, std::string target) {
    return {
        .kind = Kind::kSymlink, .path = std::move(path), .mode = 0777, .data = std::move(target)};
  }
  static CpioEntry char_device(std::string path, uint32_t mode, uint32_t major, uint32_t minor) {
    return {.kind = Kind::kCharDevice,
            .path = std::move(path),
            .mode = mode,
            .rdev_major = major,
            .rdev_minor = minor};
  }
};

// Streams entries into a file. Parents must come before their children (the kernel does not
// create missing directories).
class CpioWriter {
 public:
  // Creates (or truncates) out; with append, adds a further archive after out's content
  // (the kernel unpacks concatenated archives in order). first_inode keeps inode numbers
  // of an appended archive apart from the base's.
  [[nodiscard]] static Result<CpioWriter> create(const std::filesystem::path& out,
                                                 bool append = false, uint32_t first_inode = 1);
  CpioWriter(CpioWriter&&) noexcept = default;
  // Not assignable: the archive must be released before its file descriptor.
  CpioWriter& operator=(CpioWriter&&) = delete;
  ~CpioWriter() = default;

  [[nodiscard]] Status add(const CpioEntry& entry);
  // Writes the TRAILER!!! entry, pads to a 512-byte block and syncs the file.
  [[nodiscard]] Status finish();

  // Bytes of regular-file data written so far (what the guest keeps in its rootfs).
  [[nodiscard]] uint64_t file_bytes() const { return file_bytes_; }

 private:
  struct ArchiveFree {
    void operator()(struct archive* a) const;
  };
  using ArchivePtr = std::unique_ptr<struct archive, ArchiveFree>;

  CpioWriter(UniqueFd fd, std::filesystem::path path, uint32_t first_inode)
      : fd_(std::move(fd)), path_(std::move(path)), next_inode_(first_inode) {}
  // The error libarchive reports for the last call, with what was being done.
  [[nodiscard]] Error archive_error(std::string_view what) const;
  [[nodiscard]] Status write_data(std::string_view bytes);
  [[nodiscard]] Status copy_file(const std::filesystem::path& source, uint64_t size);

  UniqueFd fd_;
  ArchivePtr archive_;  // declared after fd_: released first
  std::filesystem::path path_;
  uint32_t next_inode_ = 1;
  uint64_t file_bytes_ = 0;
};

// Writes entries, in order, as one archive to out.
[[nodiscard]] Status write_cpio(const std::filesystem::path& out,
                                const std::vector<CpioEntry>& entries);

}  // namespace wedge::image
