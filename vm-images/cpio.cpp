// Implementation of cpio.h: the newc format (ASCII hex header, 4-byte alignment).
#include "vm-images/cpio.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace wedge::image {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kTypeDir = 0040000;
constexpr uint32_t kTypeFile = 0100000;
constexpr uint32_t kTypeSymlink = 0120000;
constexpr uint32_t kTypeCharDevice = 0020000;
constexpr uint32_t kPermissionBits = 07777;

std::string archive_name(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.empty() ? std::string(".") : std::string(path);
}

}  // namespace

CpioEntry CpioEntry::directory(std::string path, uint32_t mode) {
  CpioEntry e;
  e.kind = Kind::kDirectory;
  e.path = std::move(path);
  e.mode = mode;
  return e;
}

CpioEntry CpioEntry::file_from_host(std::string path, fs::path source, uint32_t mode) {
  CpioEntry e;
  e.kind = Kind::kFile;
  e.path = std::move(path);
  e.source = std::move(source);
  e.mode = mode;
  return e;
}

CpioEntry CpioEntry::file_from_bytes(std::string path, std::string data, uint32_t mode) {
  CpioEntry e;
  e.kind = Kind::kFile;
  e.path = std::move(path);
  e.data = std::move(data);
  e.mode = mode;
  return e;
}

CpioEntry CpioEntry::symlink(std::string path, std::string target) {
  CpioEntry e;
  e.kind = Kind::kSymlink;
  e.path = std::move(path);
  e.data = std::move(target);
  e.mode = 0777;
  return e;
}

CpioEntry CpioEntry::char_device(std::string path, uint32_t mode, uint32_t major, uint32_t minor) {
  CpioEntry e;
  e.kind = Kind::kCharDevice;
  e.path = std::move(path);
  e.mode = mode;
  e.rdev_major = major;
  e.rdev_minor = minor;
  return e;
}

std::string cpio_header(std::string_view name, uint32_t ino, uint32_t mode, uint32_t nlink,
                        uint64_t file_size, uint32_t rdev_major, uint32_t rdev_minor) {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
  // rdevminor, namesize (with the NUL), check.
  std::string header = fmt::format(
      "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}", ino,
      mode, 0, 0, nlink, 0, file_size, 0, 0, rdev_major, rdev_minor, name.size() + 1, 0);
  header.append(name);
  header.push_back('\0');
  header.append((4 - header.size() % 4) % 4, '\0');
  return header;
}

Result<CpioWriter> CpioWriter::create(const fs::path& out, bool append, uint32_t first_inode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  UniqueFd fd(::open(out.c_str(), flags, 0644));
  if (!fd.valid()) return errno_error(fmt::format("open {}", out.string()), errno);
  CpioWriter writer(std::move(fd), out, first_inode);
  if (append) {
    struct stat st {};
    if (::fstat(writer.fd_.get(), &st) != 0) {
      return errno_error(fmt::format("stat {}", out.string()), errno);
    }
    writer.offset_ = static_cast<uint64_t>(st.st_size);
    WEDGE_CHECK(writer.pad());
  }
  return writer;
}

Status CpioWriter::write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_.get(), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("write {}", path_.string()), errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    offset_ += static_cast<uint64_t>(n);
  }
  return ok_status();
}

Status CpioWriter::pad() {
  static constexpr char kZeros[4] = {};
  return write(std::string_view(kZeros, (4 - offset_ % 4) % 4));
}

Status CpioWriter::copy_file(const fs::path& source, uint64_t size) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return errno_error(fmt::format("open {}", source.string()), errno);
  char buf[1 << 16];
  uint64_t copied = 0;
  while (true) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read {}", source.string()), errno);
    }
    if (n == 0) break;
    copied += static_cast<uint64_t>(n);
    if (copied > size) break;
    WEDGE_CHECK(write(std::string_view(buf, static_cast<size_t>(n))));
  }
  if (copied != size) return make_error("{} changed size while being archived", source.string());
  return ok_status();
}

Status CpioWriter::add(const CpioEntry& entry) {
  if (!fd_.valid()) return make_error("{}: archive already finished", path_.string());
  std::string name = archive_name(entry.path);
  uint32_t perms = entry.mode & kPermissionBits;
  uint32_t ino = next_inode_++;
  switch (entry.kind) {
    case CpioEntry::Kind::kDirectory:
      return write(cpio_header(name, ino, kTypeDir | perms, 2, 0, 0, 0));
    case CpioEntry::Kind::kSymlink:
      WEDGE_CHECK(write(cpio_header(name, ino, kTypeSymlink | perms, 1, entry.data.size(), 0, 0)));
      WEDGE_CHECK(write(entry.data));
      return pad();
    case CpioEntry::Kind::kCharDevice:
      return write(cpio_header(name, ino, kTypeCharDevice | perms, 1, 0, entry.rdev_major,
                               entry.rdev_minor));
    case CpioEntry::Kind::kFile:
      break;
  }
  if (entry.source.empty()) {
    WEDGE_CHECK(write(cpio_header(name, ino, kTypeFile | perms, 1, entry.data.size(), 0, 0)));
    WEDGE_CHECK(write(entry.data));
    file_bytes_ += entry.data.size();
    return pad();
  }
  std::error_code ec;
  uint64_t size = fs::file_size(entry.source, ec);
  if (ec) return make_error("{}: {}", entry.source.string(), ec.message());
  WEDGE_CHECK(write(cpio_header(name, ino, kTypeFile | perms, 1, size, 0, 0)));
  WEDGE_CHECK(copy_file(entry.source, size).context(fmt::format("archiving {}", entry.path)));
  file_bytes_ += size;
  return pad();
}

Status CpioWriter::finish() {
  if (!fd_.valid()) return make_error("{}: archive already finished", path_.string());
  WEDGE_CHECK(write(cpio_header("TRAILER!!!", 0, 0, 1, 0, 0, 0)));
  // Block padding as GNU cpio writes it; the kernel skips the zeros between archives.
  std::string zeros((512 - offset_ % 512) % 512, '\0');
  WEDGE_CHECK(write(zeros));
  if (::fsync(fd_.get()) != 0) return errno_error(fmt::format("fsync {}", path_.string()), errno);
  fd_.reset();
  return ok_status();
}

Status write_cpio(const fs::path& out, const std::vector<CpioEntry>& entries) {
  WEDGE_TRY(CpioWriter writer, CpioWriter::create(out));
  for (const CpioEntry& entry : entries) WEDGE_CHECK(writer.add(entry));
  return writer.finish();
}

}  // namespace wedge::image
