// Implementation of capped_log.h.
#include "harness/util/capped_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace wedge {

void CappedLog::write_raw(std::string_view data) {
  if (!status_) return;  // keep the first error; do not hammer a full disk
  if (!fd_.valid()) {
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd_.valid()) {
      errno_ = errno;
      status_ = errno_error(fmt::format("open {}", path_.string()), errno_);
      return;
    }
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd_.get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      errno_ = errno;
      status_ = errno_error(fmt::format("write {}", path_.string()), errno_);
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void CappedLog::append(std::string_view data) {
  if (closed_ || data.empty()) return;
  if (dropped_ > 0) {
    dropped_ += data.size();
    return;
  }
  uint64_t room = cap_ - written_;
  if (data.size() <= room) {
    write_raw(data);
    written_ += data.size();
    return;
  }
  write_raw(data.substr(0, room));
  written_ += room;
  dropped_ = data.size() - room;
  write_raw(fmt::format("\n[wedge: {} reached its cap of {} bytes; what follows is dropped]\n",
                        path_.filename().string(), cap_));
}

void CappedLog::close() {
  if (closed_) return;
  closed_ = true;
  if (dropped_ > 0) {
    write_raw(fmt::format("[wedge: {} bytes dropped after the {}-byte cap]\n", dropped_, cap_));
  }
  fd_.reset();
}

}  // namespace wedge
