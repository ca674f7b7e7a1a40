// Tests of the /proc/net/tcp{,6} listening-port parser on recorded text.
#include "harness/storage/proc_net_tcp.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::storage {
namespace {

std::string testdata(const std::string& name) {
  return wedge::testing::testdata("proc_net_tcp/" + name);
}

TEST(ProcNetTcp, FindsLoopbackAndWildcardListeners) {
  std::string tcp = testdata("tcp.txt");
  EXPECT_TRUE(tcp_listening(tcp, 20810));  // 127.0.0.1
  EXPECT_TRUE(tcp_listening(tcp, 20813));  // 0.0.0.0
  EXPECT_TRUE(tcp_listening(tcp, 2024));
}

TEST(ProcNetTcp, IgnoresEstablishedSocketsAndOtherPorts) {
  std::string tcp = testdata("tcp.txt");
  EXPECT_FALSE(tcp_listening(tcp, 59538));  // local end of an established connection
  EXPECT_FALSE(tcp_listening(tcp, 20811));  // only in tcp6
  EXPECT_FALSE(tcp_listening(tcp, 10809));
  EXPECT_FALSE(tcp_listening(tcp, 0));
}

TEST(ProcNetTcp, FindsDualStackAndV4MappedListenersInTcp6) {
  std::string tcp6 = testdata("tcp6.txt");
  EXPECT_TRUE(tcp6_listening(tcp6, 20811));  // [::]
  EXPECT_TRUE(tcp6_listening(tcp6, 20812));  // [::ffff:127.0.0.1]
  EXPECT_FALSE(tcp6_listening(tcp6, 20810));
}

TEST(ProcNetTcp, OnlyLoopbackOrWildcardAddressesCount) {
  const std::string header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  // 10.0.2.15:20810 and 127.0.0.2:20810 listening: neither accepts connections to 127.0.0.1.
  std::string tcp = header +
                    "   0: 0F02000A:514A 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
                    "    0        0 1 1 0 100 0 0 10 0\n"
                    "   1: 0200007F:514A 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
                    "    0        0 2 1 0 100 0 0 10 0\n";
  EXPECT_FALSE(tcp_listening(tcp, 20810));
  // [::1] does not take IPv4 connections.
  std::string tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000001000000:514A 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0\n";
  EXPECT_FALSE(tcp6_listening(tcp6, 20810));
}

TEST(ProcNetTcp, SurvivesMalformedText) {
  EXPECT_FALSE(tcp_listening("", 80));
  EXPECT_FALSE(tcp_listening("garbage\n\n  0: zz:yy 0 0A\n   1: 0100007F 00000000:0000 0A\n", 80));
  EXPECT_FALSE(tcp_listening("   0: 0100007F:GGGG 00000000:0000 0A", 80));
  EXPECT_TRUE(tcp_listening("   0: 0100007F:0050 00000000:0000 0A", 80));  // no newline at end
}

TEST(ProcNetTcp, ReadsThisHostsTables) {
  auto listening = loopback_port_listening(1);
  ASSERT_TRUE(listening.ok()) << listening.error().message();
  EXPECT_FALSE(*listening);
}

}  // namespace
}  // namespace wedge::storage
