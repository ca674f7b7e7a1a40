// Implementation of files.h.
#include "harness/util/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
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

namespace {

// A name next to path that nothing else uses: path.tmp.PID.RANDOM.
fs::path temp_name_for(const fs::path& path) {
  static std::atomic<uint64_t> counter{0};
  fs::path tmp = path;
  tmp += fmt::format(".tmp.{}.{}{}", ::getpid(), std::random_device{}() & 0xffffff, counter++);
  return tmp;
}

// Gives the complete unnamed file fd (O_TMPFILE) the name path, replacing what is there.
Status name_tmpfile(int fd, const fs::path& path) {
  const std::string proc_path = fmt::format("/proc/self/fd/{}", fd);
  for (int attempt = 0;; ++attempt) {
    fs::path tmp = temp_name_for(path);
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST && attempt < 5) continue;
      return errno_error(fmt::format("naming the new {}", path.string()), errno);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return errno_error(fmt::format("rename {} to {}", tmp.string(), path.string()), err);
    }
    return ok_status();
  }
}

// The fallback where O_TMPFILE is not supported: a named temp file, removed on every failure.
Status write_via_named_temp(const fs::path& path, std::string_view data) {
  fs::path tmp = temp_name_for(path);
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error(fmt::format("create {}", tmp.string()), errno);
  Status written = write_all(fd.get(), data, tmp);
  if (written && ::fsync(fd.get()) != 0) written = errno_error("fsync " + tmp.string(), errno);
  if (written && ::rename(tmp.c_str(), path.c_str()) != 0) {
    written = errno_error(fmt::format("rename {} to {}", tmp.string(), path.string()), errno);
  }
  if (!written) ::unlink(tmp.c_str());
  return written;
}

}  // namespace

Status write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  UniqueFd fd(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
      return write_via_named_temp(path, data);
    }
    return errno_error(fmt::format("create a file in {}", dir.string()), errno);
  }
  // O_TMPFILE files get mode & ~umask like any other; make report files readable regardless.
  (void)::fchmod(fd.get(), 0644);
  WEDGE_CHECK(write_all(fd.get(), data, path));
  if (::fsync(fd.get()) != 0) return errno_error(fmt::format("fsync {}", path.string()), errno);
  return name_tmpfile(fd.get(), path);
}

Status create_sparse_file(const fs::path& path, uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) {
    int err = errno;
    if (err == EEXIST) {
      return make_error("creating {}: something is already there (refusing to reuse it)",
                        path.string());
    }
    return errno_error(fmt::format("creating {}", path.string()), err);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return errno_error(fmt::format("sizing {} to {} bytes", path.string(), size), err);
  }
  return ok_status();
}

Status create_allocated_file(const fs::path& path, uint64_t size) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) return errno_error(fmt::format("creating {}", path.string()), errno);
  if (int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size)); err != 0) {
    ::unlink(path.c_str());
    return errno_error(fmt::format("allocating {} bytes for {}", size, path.string()), err);
  }
  return ok_status();
}

Status append_file(const fs::path& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!fd.valid()) return errno_error(fmt::format("open {}", path.string()), errno);
  return write_all(fd.get(), data, path);
}

Status create_file_exclusive(const fs::path& path, std::string_view data, unsigned mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     static_cast<mode_t>(mode)));
  if (!fd.valid()) return errno_error(fmt::format("creating {}", path.string()), errno);
  Status written = write_all(fd.get(), data, path);
  if (!written) ::unlink(path.c_str());
  return written;
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
  const Owner& me = self_owner();
  std::string templ =
      (base / fmt::format("{}.{}.{}-XXXXXX", prefix, me.pid, me.start_ticks)).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return errno_error(fmt::format("mkdtemp {}", templ), errno);
  return TempDir(fs::path(buf.data()));
}

std::optional<Owner> owner_of_temp_name(std::string_view name) {
  // prefix.PID.START-XXXXXX, the prefix itself possibly holding dots.
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || name.size() - dash - 1 != 6) return std::nullopt;
  std::string_view head = name.substr(0, dash);
  size_t start_dot = head.rfind('.');
  if (start_dot == std::string_view::npos) return std::nullopt;
  size_t pid_dot = head.rfind('.', start_dot - 1);
  if (pid_dot == std::string_view::npos || pid_dot == 0 || start_dot == 0) return std::nullopt;
  return parse_owner(fmt::format("pid={} start={}",
                                 head.substr(pid_dot + 1, start_dot - pid_dot - 1),
                                 head.substr(start_dot + 1)));
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
