// Tests of the guest network gate: which frames pass (ARP, TCP to 10.0.2.2 on the run's
// ports) and which are dropped (other ports, other hosts, UDP, ICMP, IPv6, fragments), and the
// forwarding loop between two sockets standing in for QEMU's filter-redirector chardevs.
#include "harness/vm/net_gate.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

using namespace std::chrono_literals;

// An Ethernet frame carrying an IPv4 packet of protocol proto to dst:port (TCP/UDP header
// stub after a 20-byte IP header); flags_fragment is the IP header's flags+offset field.
std::string ipv4_frame(uint32_t dst, uint8_t proto, uint16_t port, uint16_t flags_fragment = 0x4000,
                       uint8_t ihl = 5) {
  std::string f(14, '\0');
  f[12] = 0x08;
  f[13] = 0x00;
  std::string ip(ihl * 4, '\0');
  ip[0] = static_cast<char>(0x40 | ihl);
  ip[6] = static_cast<char>(flags_fragment >> 8);
  ip[7] = static_cast<char>(flags_fragment & 0xff);
  ip[9] = static_cast<char>(proto);
  ip[12] = 10, ip[13] = 0, ip[14] = 2, ip[15] = 15;
  for (int i = 0; i < 4; ++i) ip[16 + i] = static_cast<char>((dst >> (24 - 8 * i)) & 0xff);
  std::string l4(20, '\0');
  l4[0] = static_cast<char>(0xc3), l4[1] = 0x50;  // source port
  l4[2] = static_cast<char>(port >> 8);
  l4[3] = static_cast<char>(port & 0xff);
  return f + ip + l4;
}

std::string ethertype_frame(uint16_t type) {
  std::string f(60, '\0');
  f[12] = static_cast<char>(type >> 8);
  f[13] = static_cast<char>(type & 0xff);
  return f;
}

constexpr uint32_t kHost = 0x0A000202;  // 10.0.2.2
const std::vector<int> kPorts = {40123, 40124};

TEST(NetGate, PassesArpAndTcpToTheRunsPortsOnTheHostAlias) {
  EXPECT_TRUE(check_frame(ethertype_frame(0x0806), kPorts).pass);
  FrameCheck own = check_frame(ipv4_frame(kHost, 6, 40123), kPorts);
  EXPECT_TRUE(own.pass);
  EXPECT_EQ(own.what, "tcp to 10.0.2.2:40123");
  EXPECT_TRUE(check_frame(ipv4_frame(kHost, 6, 40124), kPorts).pass);
  // IP options do not hide the port.
  EXPECT_TRUE(check_frame(ipv4_frame(kHost, 6, 40124, 0x4000, 6), kPorts).pass);
}

// A server guest answers the connections QEMU forwards to it: TCP from its served port to the
// host alias passes, whatever the host's ephemeral port; from any other port, or UDP, it does not.
TEST(NetGate, PassesTcpFromAServedPortOnly) {
  const std::vector<int> served = {50000};  // ipv4_frame's source port
  EXPECT_TRUE(check_frame(ipv4_frame(kHost, 6, 37211), {}, served).pass);
  EXPECT_FALSE(check_frame(ipv4_frame(kHost, 6, 37211), {}, {4420}).pass);
  EXPECT_FALSE(check_frame(ipv4_frame(kHost, 17, 37211), {}, served).pass);
  EXPECT_FALSE(check_frame(ipv4_frame(0x5DB8D822, 6, 443), {}, served).pass);
}

TEST(NetGate, DropsEverythingElseAndSaysWhat) {
  struct Case {
    std::string frame;
    std::string what;
  };
  const std::vector<Case> cases = {
      {ipv4_frame(kHost, 6, 22), "tcp to 10.0.2.2:22"},                    // another host service
      {ipv4_frame(kHost, 6, 40125), "tcp to 10.0.2.2:40125"},              // another run's server
      {ipv4_frame(0x0A000203, 6, 40123), "tcp to 10.0.2.3:40123"},         // slirp's DNS address
      {ipv4_frame(0x5DB8D822, 6, 443), "tcp to 93.184.216.34:443"},        // the outside
      {ipv4_frame(kHost, 17, 40123), "udp to 10.0.2.2:40123"},             // UDP, even to a port
      {ipv4_frame(0x0A000203, 17, 53), "udp to 10.0.2.3:53"},              // DNS
      {ipv4_frame(kHost, 1, 0), "ip protocol 1 to 10.0.2.2"},              // ICMP
      {ipv4_frame(kHost, 6, 40123, 0x2000), "ipv4 fragment to 10.0.2.2"},  // more fragments
      {ipv4_frame(kHost, 6, 40123, 0x0010), "ipv4 fragment to 10.0.2.2"},  // an offset
      {ethertype_frame(0x86dd), "ipv6"},
      {ethertype_frame(0x8100), "ethertype 0x8100"},
      {std::string(10, '\0'), "runt frame"},
      {ipv4_frame(kHost, 6, 40123).substr(0, 30), "bad ipv4"},
  };
  for (const auto& c : cases) {
    FrameCheck check = check_frame(c.frame, kPorts);
    EXPECT_FALSE(check.pass) << c.what;
    EXPECT_EQ(check.what, c.what);
  }
  EXPECT_FALSE(check_frame(ipv4_frame(kHost, 6, 40123), {}).pass) << "no ports: nothing passes";
}

// A listening unix socket standing in for one of QEMU's chardev servers.
UniqueFd listen_on(const std::filesystem::path& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(fd.get(), 1), 0);
  return fd;
}

std::string framed(const std::string& frame) {
  uint32_t n = static_cast<uint32_t>(frame.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + frame;
}

TEST(NetGate, ForwardsOnlyPassingFramesBetweenQemusSockets) {
  auto dir = TempDir::create("wedge-net-gate-test");
  ASSERT_TRUE(dir.ok());
  UniqueFd from_listener = listen_on(dir->path() / "from.sock");
  UniqueFd to_listener = listen_on(dir->path() / "to.sock");
  auto gate = NetGate::start(dir->path() / "from.sock", dir->path() / "to.sock", kPorts, 2s);
  ASSERT_TRUE(gate.ok()) << gate.error().message();
  UniqueFd guest(::accept(from_listener.get(), nullptr, nullptr));
  UniqueFd network(::accept(to_listener.get(), nullptr, nullptr));
  ASSERT_TRUE(guest.valid() && network.valid());

  const std::string allowed = ipv4_frame(kHost, 6, 40123);
  const std::string denied = ipv4_frame(kHost, 6, 22);
  // One write holding a denied frame, an allowed one, and the first half of another allowed.
  std::string bytes = framed(denied) + framed(allowed) + framed(allowed).substr(0, 20);
  ASSERT_EQ(::write(guest.get(), bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  std::this_thread::sleep_for(100ms);
  std::string rest = framed(allowed).substr(20);
  ASSERT_EQ(::write(guest.get(), rest.data(), rest.size()), static_cast<ssize_t>(rest.size()));

  std::string received;
  const std::string expected = framed(allowed) + framed(allowed);
  auto deadline = std::chrono::steady_clock::now() + 3s;
  while (received.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    char buf[4096];
    ssize_t n = ::recv(network.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) received.append(buf, static_cast<size_t>(n));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(received, expected);
  NetGate::Stats stats = (*gate)->stats();
  EXPECT_EQ(stats.passed_frames, 2u);
  EXPECT_EQ(stats.dropped_frames, 1u);
  EXPECT_EQ(stats.last_dropped, "tcp to 10.0.2.2:22");
  EXPECT_EQ((*gate)->failure(), "");

  // A corrupt length stops the gate, which shuts its sockets (QEMU then drops frames).
  std::string corrupt = "\x7f\xff\xff\xff";
  ASSERT_EQ(::write(guest.get(), corrupt.data(), corrupt.size()), 4);
  deadline = std::chrono::steady_clock::now() + 3s;
  while ((*gate)->failure().empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ((*gate)->failure(), "frame length 2147483647 from QEMU");
  char probe;
  EXPECT_EQ(::recv(network.get(), &probe, 1, 0), 0) << "the network side was not shut down";
}

}  // namespace
}  // namespace wedge::vm
