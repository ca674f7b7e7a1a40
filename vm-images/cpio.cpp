// Implementation of cpio.h over libarchive's newc writer.
#include "vm-images/cpio.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace wedge::image {

namespace fs = std::filesystem;

namespace {

constexpr uint32_t kPermissionBits = 07777;
// Output is written in these blocks; the last one is padded to a multiple of kLastBlock, as
// GNU cpio pads (the kernel skips zeros between concatenated archives).
constexpr int kBlock = 1 << 16;
constexpr int kLastBlock = 512;

std::string archive_name(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.empty() ? std::string(".") : std::string(path);
}

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// Zeros up to the next multiple of 4 at the end of fd: where an appended archive must start.
Status pad_to_four(int fd, const fs::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error(fmt::format("stat {}", path.string()), errno);
  static constexpr char kZeros[4] = {};
  size_t n = (4 - static_cast<uint64_t>(st.st_size) % 4) % 4;
  while (n > 0) {
    ssize_t w = ::write(fd, kZeros, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("write {}", path.string()), errno);
    }
    n -= static_cast<size_t>(w);
  }
  return ok_status();
}

}  // namespace

void CpioWriter::ArchiveFree::operator()(struct archive* a) const { archive_write_free(a); }

Result<CpioWriter> CpioWriter::create(const fs::path& out, bool append, uint32_t first_inode) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  UniqueFd fd(::open(out.c_str(), flags, 0644));
  if (!fd.valid()) return errno_error(fmt::format("open {}", out.string()), errno);
  if (append) WEDGE_CHECK(pad_to_four(fd.get(), out));
  CpioWriter writer(std::move(fd), out, first_inode);
  writer.archive_.reset(archive_write_new());
  if (!writer.archive_)
    return make_error("{}: libarchive could not allocate a writer", out.string());
  struct archive* a = writer.archive_.get();
  if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a, kBlock) != ARCHIVE_OK ||
      archive_write_set_bytes_in_last_block(a, kLastBlock) != ARCHIVE_OK ||
      archive_write_open_fd(a, writer.fd_.get()) != ARCHIVE_OK) {
    return writer.archive_error("starting a newc archive");
  }
  return writer;
}

Error CpioWriter::archive_error(std::string_view what) const {
  const char* why = archive_ ? archive_error_string(archive_.get()) : nullptr;
  return make_error("{}: {}: {}", path_.string(), what, why ? why : "libarchive failed");
}

Status CpioWriter::write_data(std::string_view bytes) {
  while (!bytes.empty()) {
    la_ssize_t n = archive_write_data(archive_.get(), bytes.data(), bytes.size());
    if (n <= 0) return archive_error("writing data");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

Status CpioWriter::copy_file(const fs::path& source, uint64_t size) {
  UniqueFd in(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return errno_error(fmt::format("open {}", source.string()), errno);
  auto buf = std::make_unique<char[]>(kBlock);
  uint64_t copied = 0;
  while (true) {
    ssize_t n = ::read(in.get(), buf.get(), kBlock);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read {}", source.string()), errno);
    }
    if (n == 0) break;
    copied += static_cast<uint64_t>(n);
    if (copied > size) break;
    WEDGE_CHECK(write_data(std::string_view(buf.get(), static_cast<size_t>(n))));
  }
  if (copied != size) return make_error("{} changed size while being archived", source.string());
  return ok_status();
}

Status CpioWriter::add(const CpioEntry& entry) {
  if (!archive_) return make_error("{}: archive already finished", path_.string());
  std::unique_ptr<archive_entry, EntryFree> owned(archive_entry_new());
  if (!owned) return make_error("{}: libarchive could not allocate an entry", path_.string());
  archive_entry* e = owned.get();
  archive_entry_set_pathname(e, archive_name(entry.path).c_str());
  archive_entry_set_ino(e, next_inode_++);
  archive_entry_set_perm(e, entry.mode & kPermissionBits);
  archive_entry_set_nlink(e, entry.kind == CpioEntry::Kind::kDirectory ? 2 : 1);
  archive_entry_set_size(e, 0);
  uint64_t size = 0;
  switch (entry.kind) {
    case CpioEntry::Kind::kDirectory:
      archive_entry_set_filetype(e, AE_IFDIR);
      break;
    case CpioEntry::Kind::kSymlink:
      // libarchive stores the target as the entry's data.
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, entry.data.c_str());
      break;
    case CpioEntry::Kind::kCharDevice:
      archive_entry_set_filetype(e, AE_IFCHR);
      archive_entry_set_rdevmajor(e, entry.rdev_major);
      archive_entry_set_rdevminor(e, entry.rdev_minor);
      break;
    case CpioEntry::Kind::kFile: {
      archive_entry_set_filetype(e, AE_IFREG);
      size = entry.data.size();
      if (!entry.source.empty()) {
        std::error_code ec;
        size = fs::file_size(entry.source, ec);
        if (ec) return make_error("{}: {}", entry.source.string(), ec.message());
      }
      archive_entry_set_size(e, static_cast<la_int64_t>(size));
      break;
    }
  }
  if (archive_write_header(archive_.get(), e) != ARCHIVE_OK) {
    return archive_error(fmt::format("adding {}", entry.path));
  }
  if (entry.kind != CpioEntry::Kind::kFile) return ok_status();
  if (entry.source.empty()) {
    WEDGE_CHECK(write_data(entry.data));
  } else {
    WEDGE_CHECK(copy_file(entry.source, size).context(fmt::format("archiving {}", entry.path)));
  }
  file_bytes_ += size;
  return ok_status();
}

Status CpioWriter::finish() {
  if (!archive_) return make_error("{}: archive already finished", path_.string());
  if (archive_write_close(archive_.get()) != ARCHIVE_OK) return archive_error("finishing");
  archive_.reset();
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
