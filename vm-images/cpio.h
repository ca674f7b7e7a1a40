// Writer for "newc" cpio archives, the format the kernel unpacks as initramfs. Output is
// deterministic (inode numbers in entry order, uid/gid 0, mtime 0): same entries, same bytes.
//
//   WEDGE_TRY(CpioWriter cpio, CpioWriter::create(out));
//   WEDGE_CHECK(cpio.add(CpioEntry::directory("/etc")));
//   WEDGE_CHECK(cpio.add(CpioEntry::file_from_bytes("/etc/hostname", "wedge\n")));
//   WEDGE_CHECK(cpio.finish());
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge::image {

// One archive member. path is the absolute guest path ("/bin/busybox"); the archive stores
// it without the leading slash, as the kernel and `cpio -i` expect.
struct CpioEntry {
  enum class Kind { kDirectory, kFile, kSymlink, kCharDevice };
  Kind kind = Kind::kFile;
  std::string path;
  uint32_t mode = 0644;          // permission bits only; the kind adds the type bits
  std::filesystem::path source;  // kFile: host file to copy (empty: use data)
  std::string data;              // kFile without source: the bytes; kSymlink: the target
  uint32_t rdev_major = 0;       // kCharDevice
  uint32_t rdev_minor = 0;

  static CpioEntry directory(std::string path, uint32_t mode = 0755);
  static CpioEntry file_from_host(std::string path, std::filesystem::path source,
                                  uint32_t mode = 0644);
  static CpioEntry file_from_bytes(std::string path, std::string data, uint32_t mode = 0644);
  static CpioEntry symlink(std::string path, std::string target);
  static CpioEntry char_device(std::string path, uint32_t mode, uint32_t major, uint32_t minor);
};

// The 110-byte newc header followed by the NUL-terminated name and its padding.
std::string cpio_header(std::string_view name, uint32_t ino, uint32_t mode, uint32_t nlink,
                        uint64_t file_size, uint32_t rdev_major, uint32_t rdev_minor);

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
  CpioWriter& operator=(CpioWriter&&) noexcept = default;

  [[nodiscard]] Status add(const CpioEntry& entry);
  // Writes the TRAILER!!! entry, pads to a 512-byte block and syncs the file.
  [[nodiscard]] Status finish();

  // Bytes of regular-file data written so far (what the guest keeps in its rootfs).
  [[nodiscard]] uint64_t file_bytes() const { return file_bytes_; }

 private:
  CpioWriter(UniqueFd fd, std::filesystem::path path, uint32_t first_inode)
      : fd_(std::move(fd)), path_(std::move(path)), next_inode_(first_inode) {}
  [[nodiscard]] Status write(std::string_view bytes);
  [[nodiscard]] Status pad();
  [[nodiscard]] Status copy_file(const std::filesystem::path& source, uint64_t size);

  UniqueFd fd_;
  std::filesystem::path path_;
  uint32_t next_inode_ = 1;
  uint64_t offset_ = 0;  // bytes written since create (archives are aligned relative to it)
  uint64_t file_bytes_ = 0;
};

// Writes entries, in order, as one archive to out.
[[nodiscard]] Status write_cpio(const std::filesystem::path& out,
                                const std::vector<CpioEntry>& entries);

}  // namespace wedge::image
