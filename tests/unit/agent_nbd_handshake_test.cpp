// Unit tests for the agent's NBD client handshake (workloads/agent/nbd_connect.cpp) against a
// scripted server on a socketpair: NBD_OPT_GO, the EXPORT_NAME fallback, refusals and
// hostile replies all end with a size or a clear reason, never a hang or an overread.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "workloads/agent/nbd_connect.h"

namespace wedge::guest {
namespace {

std::string be(uint64_t v, int bytes) {
  std::string s;
  for (int i = bytes - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

const std::string kGreeting =
    "NBDMAGIC" + be(0x49484156454F5054ULL, 8) + be(3, 2);  // fixed, no zeroes

std::string reply(uint32_t option, uint32_t type, const std::string& data) {
  return be(0x0003e889045565a9ULL, 8) + be(option, 4) + be(type, 4) + be(data.size(), 4) + data;
}

struct Outcome {
  bool ok = false;
  NbdExport exp;
  std::string error;
  std::string client_sent;
};

// Feeds `server` bytes to the client side, then closes; returns what the handshake made of it.
Outcome handshake_against(const std::string& server) {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  std::thread feeder([&] {
    (void)!write(fds[1], server.data(), server.size());
    shutdown(fds[1], SHUT_WR);
  });
  Outcome o;
  char error[256] = "";
  o.ok = nbd_handshake(fds[0], "wedge", &o.exp, error, sizeof error);
  o.error = error;
  feeder.join();
  close(fds[0]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[1], buf, sizeof buf)) > 0) o.client_sent.append(buf, static_cast<size_t>(n));
  close(fds[1]);
  return o;
}

TEST(AgentNbdHandshake, OptGoGivesSizeAndFlags) {
  std::string info = be(0, 2) + be(1ULL << 30, 8) + be(0x1ed, 2);
  Outcome o = handshake_against(kGreeting + reply(7, 3, info) + reply(7, 1, ""));
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.exp.size, 1ULL << 30);
  EXPECT_EQ(o.exp.transmission_flags, 0x1ed);
  // Client flags (fixed newstyle + no zeroes), then IHAVEOPT, NBD_OPT_GO, len 11, name, 0 infos.
  EXPECT_EQ(o.client_sent, be(3, 4) + be(0x49484156454F5054ULL, 8) + be(7, 4) + be(11, 4) +
                               be(5, 4) + "wedge" + be(0, 2));
}

TEST(AgentNbdHandshake, FallsBackToExportNameWhenGoIsUnsupported) {
  Outcome o =
      handshake_against(kGreeting + reply(7, (1u << 31) | 1, "") + be(4096 * 10, 8) + be(1, 2));
  ASSERT_TRUE(o.ok) << o.error;
  EXPECT_EQ(o.exp.size, 40960u);
}

TEST(AgentNbdHandshake, RefusalAndGarbageAreErrorsWithReasons) {
  Outcome refused = handshake_against(kGreeting + reply(7, (1u << 31) | 6, "no such export"));
  EXPECT_FALSE(refused.ok);
  EXPECT_NE(refused.error.find("refused export 'wedge'"), std::string::npos) << refused.error;
  EXPECT_NE(refused.error.find("no such export"), std::string::npos) << refused.error;

  Outcome http = handshake_against("HTTP/1.1 400 Bad Request\r\n\r\n");
  EXPECT_FALSE(http.ok);
  EXPECT_EQ(http.error, "not a newstyle NBD server");

  Outcome huge = handshake_against(kGreeting + be(0x0003e889045565a9ULL, 8) + be(7, 4) + be(3, 4) +
                                   be(0xffffffffu, 4));
  EXPECT_FALSE(huge.ok);
  EXPECT_EQ(huge.error, "option reply of 4294967295 bytes");

  Outcome cut = handshake_against(kGreeting.substr(0, 10));
  EXPECT_FALSE(cut.ok);
  EXPECT_NE(cut.error.find("reading the server greeting"), std::string::npos) << cut.error;

  Outcome ack_only = handshake_against(kGreeting + reply(7, 1, ""));
  EXPECT_FALSE(ack_only.ok);
  EXPECT_EQ(ack_only.error, "server acknowledged NBD_OPT_GO without the export's size");
}

}  // namespace
}  // namespace wedge::guest
