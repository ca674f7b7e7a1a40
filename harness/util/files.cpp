// Implementation of files.h.
#include "harness/util/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

namespace wedge {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error(fmt::format("open {}", path.string()), errno);
  std::string out;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read {}", path.string()), errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

static Status write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("write {}", path.string()), errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok_status();
}

Status write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return errno_error(fmt::format("create {}", tmp.string()), errno);
    WEDGE_CHECK(write_all(fd.get(), data, tmp));
    if (::fsync(fd.get()) != 0) return errno_error(fmt::format("fsync {}", tmp.string()), errno);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return errno_error(fmt::format("rename {} to {}", tmp.string(), path.string()), err);
  }
  return ok_status();
}

Status create_sparse_file(const fs::path& path, uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error(fmt::format("creating {}", path.string()), errno);
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    return errno_error(fmt::format("sizing {} to {} bytes", path.string(), size), errno);
  }
  return ok_status();
}

Status create_allocated_file(const fs::path& path, uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error(fmt::format("creating {}", path.string()), errno);
  if (int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size)); err != 0) {
    return errno_error(fmt::format("allocating {} bytes for {}", size, path.string()), err);
  }
  return ok_status();
}

Status append_file(const fs::path& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error(fmt::format("open {}", path.string()), errno);
  return write_all(fd.get(), data, path);
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<TempDir> TempDir::create(std::string_view prefix, const fs::path& parent) {
  std::error_code ec;
  fs::path base = parent.empty() ? fs::temp_directory_path(ec) : parent;
  if (ec) return make_error("finding temp dir: {}", ec.message());
  std::string templ = (base / fmt::format("{}-XXXXXX", prefix)).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return errno_error(fmt::format("mkdtemp {}", templ), errno);
  return TempDir(fs::path(buf.data()));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace wedge
