// Tests of the telnet BREAK sysrq sender against a local fake of QEMU's telnet chardev, and of
// the loopback helpers it uses.
#include "harness/vm/serial_sysrq.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/net.h"

namespace wedge::vm {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// What QEMU's telnet server says on accept: WILL ECHO, WILL SGA, WILL BINARY, DO BINARY.
const std::string kQemuGreeting = "\xff\xfb\x01\xff\xfb\x03\xff\xfb\x00\xff\xfd\x00";

// A listening socket on a free loopback port.
struct Listener {
  UniqueFd fd;
  int port = 0;
};

Listener listen_loopback() {
  Listener l;
  l.fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  EXPECT_EQ(::getsockname(l.fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  EXPECT_EQ(::listen(l.fd.get(), 4), 0);
  l.port = ntohs(addr.sin_port);
  return l;
}

// Accepts one client, greets it like QEMU, echoes console chatter, and returns every byte the
// client sent until it hung up.
std::string serve_one_client(int listen_fd, const std::string& chatter) {
  UniqueFd client(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
  if (!client.valid()) return "<accept failed>";
  (void)!::write(client.get(), kQemuGreeting.data(), kQemuGreeting.size());
  (void)!::write(client.get(), chatter.data(), chatter.size());
  std::string got;
  char buf[256];
  while (true) {
    ssize_t n = ::read(client.get(), buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST(SerialSysrq, SendsTelnetBreakThenTheKeyAndHangsUp) {
  Listener l = listen_loopback();
  std::string received;
  std::thread server([&] { received = serve_one_client(l.fd.get(), "[ 1.0] console output\r\n"); });
  auto start = steady_clock::now();
  auto sent = send_telnet_break_sysrq(l.port, 'w');
  auto took = steady_clock::now() - start;
  server.join();
  ASSERT_TRUE(sent.ok()) << sent.error().message();
  EXPECT_EQ(received, "\xff\xf3w");
  EXPECT_LT(took, milliseconds(1500));
}

TEST(SerialSysrq, RejectsKeysThatAreNotLettersOrDigits) {
  auto sent = send_telnet_break_sysrq(1, '\xff');
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().message(),
            "serial sysrq via telnet 127.0.0.1:1: no sysrq key for character 0xff");
}

TEST(SerialSysrq, ReportsNothingListening) {
  auto port = pick_free_loopback_port();
  ASSERT_TRUE(port.ok()) << port.error().message();
  auto sent = send_telnet_break_sysrq(*port, 'h');
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().message(),
            fmt::format("serial sysrq via telnet 127.0.0.1:{0}: connect 127.0.0.1:{0}: "
                        "Connection refused",
                        *port));
}

// QEMU serves one client at a time: a second connection lands in the backlog and is never
// greeted, so the key would go nowhere.
TEST(SerialSysrq, ReportsABusyConsoleWhenNotGreeted) {
  Listener l = listen_loopback();  // listens, never accepts
  auto sent = send_telnet_break_sysrq(l.port, 'h', milliseconds(300));
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().message(),
            fmt::format("serial sysrq via telnet 127.0.0.1:{}: no telnet negotiation within "
                        "300 ms (another client holds the console?)",
                        l.port));
}

TEST(LoopbackNet, PickedPortIsBindableAndConnectReachesAListener) {
  auto port = pick_free_loopback_port();
  ASSERT_TRUE(port.ok()) << port.error().message();
  EXPECT_GT(*port, 0);
  Listener l = listen_loopback();
  auto fd = connect_loopback(l.port, milliseconds(1000));
  ASSERT_TRUE(fd.ok()) << fd.error().message();
  EXPECT_TRUE(fd->valid());
  auto bad = connect_loopback(0, milliseconds(10));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(), "connect 127.0.0.1:0: not a TCP port");
}

}  // namespace
}  // namespace wedge::vm
