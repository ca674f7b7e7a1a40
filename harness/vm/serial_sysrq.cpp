// Implementation of serial_sysrq.h.
#include "harness/vm/serial_sysrq.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/net.h"

namespace wedge::vm {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kConnectTimeout{2000};
// Lets the guest take the break interrupt before the key arrives (it has 5 s to do so).
constexpr milliseconds kBreakToKeyGap{50};
// After our FIN, QEMU reads what we sent, then closes its end. Until then console output is
// read and discarded, so the socket is closed with an empty receive queue (a reset instead
// of a FIN could make QEMU drop the key unread).
constexpr milliseconds kHangupTimeout{1000};

enum class Drained { kTimeout, kData, kEof };

// Reads and discards whatever arrives until timeout passes; stops early at EOF, or at the
// first data when stop_at_data is set.
Result<Drained> drain(int fd, milliseconds timeout, bool stop_at_data) {
  auto deadline = steady_clock::now() + timeout;
  bool got_data = false;
  char buf[4096];
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      got_data = true;
      if (stop_at_data) return Drained::kData;
      continue;
    }
    if (n == 0) return Drained::kEof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno_error("recv", errno);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return got_data ? Drained::kData : Drained::kTimeout;
    pollfd pfd{fd, POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
}

Status send_all(int fd, const char* data, size_t size) {
  size_t sent = 0;
  auto deadline = steady_clock::now() + kConnectTimeout;
  while (sent < size) {
    ssize_t n = ::send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno_error("send", errno);
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return make_error("send: stalled");
    pollfd pfd{fd, POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return ok_status();
}

bool is_sysrq_key(char key) {
  return (key >= 'a' && key <= 'z') || (key >= 'A' && key <= 'Z') || (key >= '0' && key <= '9');
}

}  // namespace

Status send_telnet_break_sysrq(int port, char key, milliseconds greeting_timeout) {
  const std::string what = fmt::format("serial sysrq via telnet 127.0.0.1:{}", port);
  if (!is_sysrq_key(key)) {
    return make_error("{}: no sysrq key for character 0x{:02x}", what,
                      static_cast<int>(static_cast<unsigned char>(key)));
  }
  auto connected = connect_loopback(port, kConnectTimeout);
  if (!connected) return connected.error().context(what);
  UniqueFd fd = std::move(*connected);

  // QEMU accepts one client at a time; a second connection sits in the kernel's backlog and
  // hears nothing, and bytes sent into it would never reach the guest.
  auto greeted = drain(fd.get(), greeting_timeout, /*stop_at_data=*/true);
  if (!greeted) return greeted.error().context(what);
  if (*greeted == Drained::kEof) return make_error("{}: closed by the server", what);
  if (*greeted == Drained::kTimeout) {
    return make_error("{}: no telnet negotiation within {} ms (another client holds the console?)",
                      what, greeting_timeout.count());
  }
  // The rest of the negotiation (WILL ECHO, WILL SGA, WILL/DO BINARY) needs no answer.
  const char brk[] = {static_cast<char>(kTelnetIac), static_cast<char>(kTelnetBreak)};
  if (auto sent = send_all(fd.get(), brk, sizeof brk); !sent) return sent.error().context(what);
  if (auto d = drain(fd.get(), kBreakToKeyGap, false); !d) return d.error().context(what);
  if (auto sent = send_all(fd.get(), &key, 1); !sent) return sent.error().context(what);
  ::shutdown(fd.get(), SHUT_WR);
  auto hung_up = drain(fd.get(), kHangupTimeout, false);
  if (!hung_up) return hung_up.error().context(what);
  if (*hung_up != Drained::kEof) {
    return make_error("{}: the server did not hang up within {} ms (key may be unread)", what,
                      kHangupTimeout.count());
  }
  return ok_status();
}

}  // namespace wedge::vm
