// Implementation of following_file.h: pread from a kept offset; at the end of the open file,
// compare its inode with the path's to notice a rotation.
#include "harness/util/following_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace wedge {

Result<std::string> FollowingFile::read(size_t max_bytes) {
  if (!fd_.valid()) {
    UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) return std::string();  // not created yet
      return errno_error(fmt::format("open {}", path_.string()), errno);
    }
    fd_ = std::move(fd);
  }
  struct stat st {};
  if (::fstat(fd_.get(), &st) == 0 && st.st_size < offset_) offset_ = 0;  // truncated
  std::string out;
  char buf[65536];
  while (out.size() < max_bytes) {
    size_t want = std::min(sizeof buf, max_bytes - out.size());
    ssize_t n = ::pread(fd_.get(), buf, want, offset_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(fmt::format("read {}", path_.string()), errno);
    }
    if (n == 0) {
      // Drained: if the path now names another file, the one we hold was rotated away.
      struct stat now {};
      if (::stat(path_.c_str(), &now) != 0 || now.st_ino == st.st_ino) break;
      UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) break;
      fd_ = std::move(fd);
      offset_ = 0;
      ++rotations_;
      if (::fstat(fd_.get(), &st) != 0) break;
      continue;
    }
    out.append(buf, static_cast<size_t>(n));
    offset_ += n;
  }
  return out;
}

}  // namespace wedge
