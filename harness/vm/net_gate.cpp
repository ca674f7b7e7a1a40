// Implementation of net_gate.h: a pure frame check, and a poll loop that always drains the
// guest's side (QEMU writes it from its main loop, blocking: a full socket would freeze the
// guest) and queues what passes, bounded, for QEMU's other side.
#include "harness/vm/net_gate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace wedge::vm {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr size_t kEthHeader = 14;
constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
// QEMU's socket chardev frames: far above any Ethernet frame the guest can send without
// segmentation offloads (user-mode networking has none), so a bigger length is corruption.
constexpr uint32_t kMaxFrame = 1 << 20;
// Passed frames waiting for QEMU; beyond this they are dropped as a congested link would
// (TCP in the guest retransmits), so a stuck QEMU cannot make wedge's memory grow.
constexpr size_t kMaxQueued = 8 << 20;
constexpr size_t kReadChunk = 256 << 10;

uint16_t be16(std::string_view s, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(s[at]) << 8) |
                               static_cast<uint8_t>(s[at + 1]));
}

uint32_t be32(std::string_view s, size_t at) {
  return (uint32_t{be16(s, at)} << 16) | be16(s, at + 2);
}

std::string ipv4_text(uint32_t addr) {
  return fmt::format("{}.{}.{}.{}", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
                     addr & 0xff);
}

Result<UniqueFd> connect_unix(const fs::path& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof addr.sun_path) return make_error("socket path too long: {}", p);
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return errno_error("socket", errno);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
      ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
      return fd;
    }
    int err = errno;
    if ((err != ENOENT && err != ECONNREFUSED) || std::chrono::steady_clock::now() >= deadline) {
      return errno_error(fmt::format("connecting to {}", p), err);
    }
    std::this_thread::sleep_for(20ms);
  }
}

}  // namespace

FrameCheck check_frame(std::string_view frame, const std::vector<int>& ports,
                       const std::vector<int>& served_ports) {
  if (frame.size() < kEthHeader) return {false, "runt frame"};
  uint16_t type = be16(frame, 12);
  if (type == kEtherArp) return {true, "arp"};
  if (type == kEtherIpv6) return {false, "ipv6"};
  if (type != kEtherIpv4) return {false, fmt::format("ethertype {:#06x}", type)};
  std::string_view ip = frame.substr(kEthHeader);
  if (ip.size() < 20 || (static_cast<uint8_t>(ip[0]) >> 4) != 4) return {false, "bad ipv4"};
  size_t header = (static_cast<uint8_t>(ip[0]) & 0x0f) * size_t{4};
  if (header < 20 || ip.size() < header + 4) return {false, "bad ipv4"};
  uint8_t proto = static_cast<uint8_t>(ip[9]);
  uint32_t dst = be32(ip, 16);
  if ((be16(ip, 6) & 0x3fff) != 0)
    return {false, fmt::format("ipv4 fragment to {}", ipv4_text(dst))};
  if (proto != kProtoTcp && proto != kProtoUdp) {
    return {false, fmt::format("ip protocol {} to {}", proto, ipv4_text(dst))};
  }
  const uint16_t from_port = be16(ip, header);
  const uint16_t port = be16(ip, header + 2);
  std::string what =
      fmt::format("{} to {}:{}", proto == kProtoTcp ? "tcp" : "udp", ipv4_text(dst), port);
  auto has = [](const std::vector<int>& list, uint16_t p) {
    return std::find(list.begin(), list.end(), static_cast<int>(p)) != list.end();
  };
  bool allowed = proto == kProtoTcp && dst == kGuestHostAddress &&
                 (has(ports, port) || has(served_ports, from_port));
  return {allowed, std::move(what)};
}

NetGate::NetGate(UniqueFd from_guest, UniqueFd to_network, std::vector<int> ports,
                 std::vector<int> served_ports)
    : from_guest_(std::move(from_guest)),
      to_network_(std::move(to_network)),
      ports_(std::move(ports)),
      served_ports_(std::move(served_ports)) {
  thread_ = std::thread([this] { run(); });
}

Result<std::unique_ptr<NetGate>> NetGate::start(const fs::path& from_guest,
                                                const fs::path& to_network, std::vector<int> ports,
                                                std::chrono::milliseconds timeout,
                                                std::vector<int> served_ports) {
  WEDGE_TRY(UniqueFd in, connect_unix(from_guest, timeout).context("network gate"));
  WEDGE_TRY(UniqueFd out, connect_unix(to_network, timeout).context("network gate"));
  return std::unique_ptr<NetGate>(
      new NetGate(std::move(in), std::move(out), std::move(ports), std::move(served_ports)));
}

NetGate::~NetGate() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

NetGate::Stats NetGate::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::string NetGate::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void NetGate::fail(std::string why) {
  // Shut both sockets down at once: QEMU then drops the guest's frames instead of blocking
  // on a socket nobody reads any more.
  ::shutdown(from_guest_.get(), SHUT_RDWR);
  ::shutdown(to_network_.get(), SHUT_RDWR);
  std::lock_guard lock(mutex_);
  if (failure_.empty()) failure_ = std::move(why);
}

void NetGate::run() {
  std::string in;       // bytes from the guest's side, possibly a partial frame at the end
  std::string out;      // passed frames (with their length prefix) QEMU has not taken yet
  size_t out_sent = 0;  // how much of out went already
  std::vector<char> chunk(kReadChunk);
  while (!stop_) {
    pollfd fds[2] = {
        {from_guest_.get(), POLLIN, 0},
        {to_network_.get(), static_cast<short>(out.size() > out_sent ? POLLOUT : 0), 0}};
    if (::poll(fds, 2, 200) < 0 && errno != EINTR)
      return fail(fmt::format("poll: {}", std::strerror(errno)));
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(from_guest_.get(), chunk.data(), chunk.size());
      if (n == 0) return fail("QEMU closed the guest's side");
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return fail(fmt::format("read: {}", std::strerror(errno)));
      }
      if (n > 0) in.append(chunk.data(), static_cast<size_t>(n));
      size_t at = 0;
      Stats delta;
      while (in.size() - at >= 4) {
        uint32_t length = be32(in, at);
        if (length > kMaxFrame) return fail(fmt::format("frame length {} from QEMU", length));
        if (in.size() - at - 4 < length) break;
        std::string_view frame(in.data() + at + 4, length);
        FrameCheck check = check_frame(frame, ports_, served_ports_);
        if (!check.pass) {
          delta.dropped_frames++;
          delta.last_dropped = std::move(check.what);
        } else if (out.size() - out_sent + 4 + length > kMaxQueued) {
          delta.queue_drops++;
        } else {
          out.append(in, at, 4 + length);
          delta.passed_frames++;
          delta.passed_bytes += length;
        }
        at += 4 + length;
      }
      in.erase(0, at);
      std::lock_guard lock(mutex_);
      stats_.passed_frames += delta.passed_frames;
      stats_.passed_bytes += delta.passed_bytes;
      stats_.dropped_frames += delta.dropped_frames;
      stats_.queue_drops += delta.queue_drops;
      if (!delta.last_dropped.empty()) stats_.last_dropped = std::move(delta.last_dropped);
    }
    if (out.size() > out_sent) {
      ssize_t n = ::send(to_network_.get(), out.data() + out_sent, out.size() - out_sent,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return fail(fmt::format("send: {}", std::strerror(errno)));
      }
      if (n > 0) out_sent += static_cast<size_t>(n);
      if (out_sent == out.size() || out_sent > (1 << 20)) {
        out.erase(0, out_sent);
        out_sent = 0;
      }
    }
  }
}

}  // namespace wedge::vm
