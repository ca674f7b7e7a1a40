// Implementation of net.h.
#include "harness/util/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace wedge {

namespace {

sockaddr_in loopback_address(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

}  // namespace

Result<int> pick_free_loopback_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("picking a free port: socket", errno);
  sockaddr_in addr = loopback_address(0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_error("picking a free port: bind 127.0.0.1:0", errno);
  }
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return errno_error("picking a free port: getsockname", errno);
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

Result<UniqueFd> connect_loopback(int port, std::chrono::milliseconds timeout) {
  const std::string what = fmt::format("connect 127.0.0.1:{}", port);
  if (port <= 0 || port > 65535) return make_error("{}: not a TCP port", what);
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error(what + ": socket", errno);
  sockaddr_in addr = loopback_address(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS) return errno_error(what, errno);
  pollfd pfd{fd.get(), POLLOUT, 0};
  int ready = 0;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return errno_error(what + ": poll", errno);
  if (ready == 0) return make_error("{}: no answer within {} ms", what, timeout.count());
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
    return errno_error(what + ": getsockopt", errno);
  }
  if (err != 0) return errno_error(what, err);
  return fd;
}

}  // namespace wedge
