// vm::AgentChannel over a socketpair: reads what the peer sent, bounded per call; a closed peer
// is an error after the last bytes; a missing socket reads empty and fails writes in time.
#include "harness/vm/agent_channel.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace wedge::vm {
namespace {

struct Pair {
  AgentChannel channel;
  UniqueFd peer;
};

Pair make_pair(AgentChannel::Limits limits = {}) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  return {AgentChannel(UniqueFd(fds[0]), "wedge-test", limits), UniqueFd(fds[1])};
}

TEST(AgentChannelTest, ReadsWhatThePeerSentAndNothingMore) {
  Pair p = make_pair();
  auto empty = p.channel.read();
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  EXPECT_EQ(*empty, "");
  ASSERT_EQ(::write(p.peer.get(), "hello", 5), 5);
  auto got = p.channel.read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
}

TEST(AgentChannelTest, OneReadIsBoundedAndTheRestComesNext) {
  Pair p = make_pair({.max_read = 4});
  ASSERT_EQ(::write(p.peer.get(), "abcdefg", 7), 7);
  EXPECT_EQ(*p.channel.read(), "abcd");
  EXPECT_EQ(*p.channel.read(), "efg");
}

TEST(AgentChannelTest, WritesReachThePeer) {
  Pair p = make_pair();
  ASSERT_TRUE(p.channel.write("frame").ok());
  char buf[16] = {};
  ASSERT_EQ(::read(p.peer.get(), buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf), "frame");
}

TEST(AgentChannelTest, AClosedPeerGivesItsLastBytesThenAnError) {
  Pair p = make_pair();
  ASSERT_EQ(::write(p.peer.get(), "bye", 3), 3);
  p.peer.reset();
  EXPECT_EQ(*p.channel.read(), "bye");
  auto next = p.channel.read();
  ASSERT_FALSE(next.ok());
  EXPECT_NE(next.error().message().find("wedge-test: agent channel closed"), std::string::npos);
  EXPECT_FALSE(p.channel.write("x").ok());
}

TEST(AgentChannelTest, AMissingSocketReadsEmptyAndFailsWritesNamingIt) {
  AgentChannel channel("/nonexistent/agent.sock", "wedge-test",
                       {.connect_timeout = std::chrono::milliseconds(0)});
  auto got = channel.read();
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "");
  Status s = channel.write("x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("/nonexistent/agent.sock did not appear"), std::string::npos)
      << s.error().message();
}

}  // namespace
}  // namespace wedge::vm
