// Implementation of agent_channel.h.
#include "harness/vm/agent_channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace wedge::vm {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

AgentChannel::AgentChannel(std::filesystem::path path, std::string name, Limits limits)
    : path_(std::move(path)), name_(std::move(name)), limits_(limits) {}

AgentChannel::AgentChannel(UniqueFd connected, std::string name, Limits limits)
    : name_(std::move(name)), limits_(limits), fd_(std::move(connected)) {}

void AgentChannel::close() {
  fd_.reset();
  closed_ = true;
}

Error AgentChannel::closed_error() {
  close();
  return make_error("{}: agent channel closed", name_);
}

Result<bool> AgentChannel::connect() {
  if (fd_.valid()) return true;
  if (closed_ || path_.empty()) return closed_error();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("agent channel: socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = path_.string();
  if (path.size() >= sizeof addr.sun_path) {
    return make_error("agent channel: socket path {} is too long", path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // Not there yet (QEMU still starting), or its backlog is momentarily full: try later.
    if (errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN) return false;
    return errno_error(fmt::format("agent channel: connect {}", path), errno);
  }
  fd_ = std::move(fd);
  return true;
}

Result<std::string> AgentChannel::read() {
  WEDGE_TRY(bool connected, connect());
  if (!connected) return std::string();
  std::string out;
  char buf[65536];
  while (out.size() < limits_.max_read) {
    ssize_t n =
        ::recv(fd_.get(), buf, std::min(sizeof buf, limits_.max_read - out.size()), MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno != ECONNRESET) {
      return errno_error(fmt::format("{}: agent channel: recv", name_), errno);
    }
    // EOF or reset: hand out what arrived first; the next call reports the closed channel.
    if (!out.empty()) {
      close();
      return out;
    }
    return closed_error();
  }
  return out;
}

Status AgentChannel::write(const std::string& bytes) {
  auto connect_deadline = steady_clock::now() + limits_.connect_timeout;
  while (true) {
    WEDGE_TRY(bool connected, connect());
    if (connected) break;
    if (steady_clock::now() >= connect_deadline) {
      return make_error("{}: agent channel {} did not appear within {} ms", name_, path_.string(),
                        limits_.connect_timeout.count());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  if (write_cut_) {
    // Part of a frame went out: whatever follows would be misread by the agent.
    return make_error("{}: agent channel: an earlier write was cut short", name_);
  }
  auto deadline = steady_clock::now() + limits_.write_timeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n =
        ::send(fd_.get(), bytes.data() + sent, bytes.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return closed_error();
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return errno_error(fmt::format("{}: agent channel: send", name_), errno);
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) {
      if (sent > 0) write_cut_ = true;
      return make_error("{}: agent channel: write stalled ({} of {} bytes sent in {} ms)", name_,
                        sent, bytes.size(), limits_.write_timeout.count());
    }
    pollfd pfd{fd_.get(), POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return ok_status();
}

}  // namespace wedge::vm
