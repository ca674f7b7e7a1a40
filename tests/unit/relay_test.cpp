// Tests of the fault-injecting TCP relay against a local echo server on loopback.
#include "harness/storage/relay.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "harness/util/files.h"

namespace wedge::storage {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

UniqueFd listen_on(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  ::listen(fd.get(), 16);
  return fd;
}

int local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

// Echoes every byte back on every connection, one thread per connection. The first
// reset_first connections are reset at once instead, before a byte (a server ending its session
// with new connections in its backlog).
class EchoServer {
 public:
  explicit EchoServer(int port = 0, int reset_first = 0)
      : listener_(listen_on(port)), reset_first_(reset_first) {
    port_ = listener_.valid() ? local_port(listener_.get()) : -1;
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~EchoServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : threads_) t.join();
  }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_.load(); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd pfd{listener_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      if (accepted_++ < reset_first_) {
        linger reset{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        ::close(fd);
        continue;
      }
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, fd] { echo(UniqueFd(fd)); });
    }
  }
  void echo(UniqueFd fd) {
    char buf[65536];
    while (!stop_) {
      pollfd pfd{fd.get(), POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n <= 0) return;
      for (ssize_t sent = 0; sent < n;) {
        ssize_t m = ::send(fd.get(), buf + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (m <= 0) return;
        sent += m;
      }
    }
  }

  UniqueFd listener_;
  int reset_first_ = 0;
  int port_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<std::thread> threads_;  // one per connection, added by acceptor_
  std::thread acceptor_;
};

UniqueFd connect_to(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return UniqueFd();
  return fd;
}

void send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    sent += static_cast<size_t>(n);
  }
}

// Reads until `size` bytes arrived, the peer closed, or timeout passed.
std::string recv_some(int fd, size_t size, milliseconds timeout) {
  std::string out;
  auto deadline = Clock::now() + timeout;
  char buf[65536];
  while (out.size() < size) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = ::recv(fd, buf, std::min(sizeof buf, size - out.size()), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 131 + 7) % 251);
  return s;
}

template <typename F>
bool eventually(F condition, milliseconds timeout = milliseconds(2000)) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

milliseconds round_trip(int fd) {
  auto start = Clock::now();
  send_all(fd, "p");
  EXPECT_EQ(recv_some(fd, 1, milliseconds(5000)), "p");
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(echo_.port(), 0);
    auto relay = TcpRelay::start(echo_.port());
    ASSERT_TRUE(relay.ok()) << relay.error().message();
    relay_ = std::move(*relay);
    ASSERT_GT(relay_->port(), 0);
    ASSERT_NE(relay_->port(), echo_.port());
  }

  EchoServer echo_;
  std::unique_ptr<TcpRelay> relay_;
};

TEST_F(RelayTest, ForwardsBothWaysAndCounts) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  std::string data = pattern(300 * 1024);
  std::thread sender([&] { send_all(client.get(), data); });
  std::string back = recv_some(client.get(), data.size(), milliseconds(10000));
  sender.join();
  EXPECT_EQ(back.size(), data.size());
  EXPECT_TRUE(back == data);
  EXPECT_TRUE(eventually([&] { return relay_->stats().bytes_to_client == data.size(); }));
  RelayStats stats = relay_->stats();
  EXPECT_EQ(stats.bytes_from_client, data.size());
  EXPECT_EQ(stats.connections, 1u);
  EXPECT_EQ(stats.active_connections, 1u);
  EXPECT_EQ(stats.bytes_dropped, 0u);
  EXPECT_EQ(echo_.accepted(), 1);

  client.reset();  // a clean close travels through and the connection is forgotten
  EXPECT_TRUE(eventually([&] { return relay_->stats().active_connections == 0; }));
}

TEST_F(RelayTest, DelayAddsLatencyInEachDirection) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  milliseconds baseline = round_trip(client.get());
  EXPECT_LT(baseline, milliseconds(200));

  relay_->set_faults({.delay = milliseconds(150)});
  EXPECT_EQ(relay_->faults().delay, milliseconds(150));
  milliseconds delayed = round_trip(client.get());
  std::cout << "round trip " << baseline.count() << " ms, with 150 ms delay " << delayed.count()
            << " ms\n";
  EXPECT_GE(delayed, milliseconds(295));
  EXPECT_LT(delayed, milliseconds(1500));

  relay_->clear_faults();
  EXPECT_LT(round_trip(client.get()), milliseconds(200));
}

// Each new connection pays the delay on every round trip, not only the first connection.
TEST_F(RelayTest, DelayHoldsForEveryNewConnection) {
  relay_->set_faults({.delay = milliseconds(100)});
  for (int c = 0; c < 3; ++c) {
    UniqueFd client = connect_to(relay_->port());
    ASSERT_TRUE(client.valid());
    for (int i = 0; i < 3; ++i) {
      milliseconds rt = round_trip(client.get());
      std::cout << "connection " << c << " round trip " << i << ": " << rt.count() << " ms\n";
      EXPECT_GE(rt, milliseconds(195)) << "connection " << c << " round trip " << i;
    }
  }
}

TEST_F(RelayTest, RateCapsThroughput) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  relay_->set_faults({.rate_bytes_per_s = 100 * 1024});
  std::string data = pattern(100 * 1024);
  auto start = Clock::now();
  std::thread sender([&] { send_all(client.get(), data); });
  std::string back = recv_some(client.get(), data.size(), milliseconds(10000));
  sender.join();
  auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  std::cout << "100 KiB through a 100 KiB/s relay in " << took.count() << " ms\n";
  EXPECT_TRUE(back == data);
  EXPECT_GE(took, milliseconds(850));
  EXPECT_LT(took, milliseconds(5000));
}

TEST_F(RelayTest, StallHoldsDataAndResumes) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  EXPECT_LT(round_trip(client.get()), milliseconds(1000));
  relay_->set_faults({.stall = true});
  send_all(client.get(), "held");
  EXPECT_EQ(recv_some(client.get(), 4, milliseconds(300)), "");
  relay_->clear_faults();
  EXPECT_EQ(recv_some(client.get(), 4, milliseconds(2000)), "held");
}

// A stalled connection has no I/O in flight at all; it must survive that.
TEST_F(RelayTest, StallRightAfterConnectKeepsTheConnection) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  relay_->set_faults({.stall = true});
  ASSERT_TRUE(eventually([&] { return relay_->stats().connections == 1; }));
  send_all(client.get(), "x");
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(300)), "");
  relay_->clear_faults();
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(2000)), "x");
  EXPECT_EQ(relay_->stats().active_connections, 1u);
}

TEST_F(RelayTest, BlackholeDropsEverythingAndSendsNothing) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  EXPECT_LT(round_trip(client.get()), milliseconds(1000));
  relay_->set_faults({.blackhole = true});
  std::string data = pattern(1000);
  send_all(client.get(), data);
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(300)), "");
  EXPECT_TRUE(eventually([&] { return relay_->stats().bytes_dropped >= data.size(); }));
  EXPECT_EQ(relay_->stats().bytes_from_client, data.size() + 1);

  relay_->clear_faults();  // the connection is still there; the dropped bytes are gone
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(300)), "");
  EXPECT_LT(round_trip(client.get()), milliseconds(1000));
}

TEST_F(RelayTest, ResetConnectionsSendsRst) {
  UniqueFd client = connect_to(relay_->port());
  ASSERT_TRUE(client.valid());
  EXPECT_LT(round_trip(client.get()), milliseconds(1000));
  relay_->reset_connections();
  pollfd pfd{client.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 2000), 1);
  char byte;
  errno = 0;
  EXPECT_EQ(::recv(client.get(), &byte, 1, 0), -1);
  EXPECT_EQ(errno, ECONNRESET);
  EXPECT_TRUE(eventually([&] { return relay_->stats().active_connections == 0; }));

  UniqueFd again = connect_to(relay_->port());  // the relay itself keeps accepting
  ASSERT_TRUE(again.valid());
  EXPECT_LT(round_trip(again.get()), milliseconds(1000));
}

TEST_F(RelayTest, SetTargetPortMovesNewConnectionsOnly) {
  UniqueFd first = connect_to(relay_->port());
  ASSERT_TRUE(first.valid());
  EXPECT_LT(round_trip(first.get()), milliseconds(1000));

  EchoServer other;
  relay_->set_target_port(other.port());
  EXPECT_EQ(relay_->target_port(), other.port());
  UniqueFd second = connect_to(relay_->port());
  ASSERT_TRUE(second.valid());
  EXPECT_LT(round_trip(second.get()), milliseconds(1000));
  EXPECT_EQ(echo_.accepted(), 1);
  EXPECT_EQ(other.accepted(), 1);
  EXPECT_LT(round_trip(first.get()), milliseconds(1000));  // still on the old server
}

// A relay in front of echo, and a client connected to it.
void connect_through_relay(const EchoServer& echo, std::unique_ptr<TcpRelay>& relay,
                           UniqueFd& client) {
  auto started = TcpRelay::start(echo.port());
  ASSERT_TRUE(started.ok()) << started.error().message();
  relay = std::move(*started);
  client = connect_to(relay->port());
  ASSERT_TRUE(client.valid());
}

// nbd-server serves one session per process: a connection that waited in the backlog of the
// process ending its session is reset before a byte. The relay dials again; the client never
// sees it.
TEST(Relay, DialsAgainWhenTheTargetResetsBeforeAByte) {
  EchoServer echo(0, 2);
  std::unique_ptr<TcpRelay> relay;
  UniqueFd client;
  ASSERT_NO_FATAL_FAILURE(connect_through_relay(echo, relay, client));
  // Like an NBD client, it waits before sending: a byte of its own already written to a target
  // that then reset could not be taken back, and that reset is passed on.
  EXPECT_TRUE(eventually([&] { return echo.accepted() == 3; }));
  EXPECT_LT(round_trip(client.get()), milliseconds(2000));
  // A reset that lands before the connect completes is a refused connect, retried as such.
  EXPECT_LE(relay->stats().redials, 2u);
}

// A target that resets every connection before a byte is not restarting: after a bounded
// number of dials the client gets the reset.
TEST(Relay, GivesUpOnATargetThatAlwaysResets) {
  EchoServer echo(0, 1000);
  std::unique_ptr<TcpRelay> relay;
  UniqueFd client;
  ASSERT_NO_FATAL_FAILURE(connect_through_relay(echo, relay, client));
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(10000)), "");
  EXPECT_LE(relay->stats().redials, 20u);
}

TEST(Relay, WaitsForATargetThatIsStillStarting) {
  UniqueFd probe = listen_on(0);  // find a free port, then free it
  int port = local_port(probe.get());
  probe.reset();
  auto relay = TcpRelay::start(port);
  ASSERT_TRUE(relay.ok()) << relay.error().message();
  UniqueFd client = connect_to((*relay)->port());
  ASSERT_TRUE(client.valid());
  send_all(client.get(), "early");
  std::this_thread::sleep_for(milliseconds(300));
  EchoServer late(port);
  ASSERT_EQ(late.port(), port);
  EXPECT_EQ(recv_some(client.get(), 5, milliseconds(3000)), "early");
  EXPECT_EQ((*relay)->stats().failed_connects, 0u);
}

TEST(Relay, RejectsBadTargetAndStopsIdempotently) {
  EXPECT_FALSE(TcpRelay::start(0).ok());
  EXPECT_FALSE(TcpRelay::start(70000).ok());
  EchoServer echo;
  auto relay = TcpRelay::start(echo.port());
  ASSERT_TRUE(relay.ok());
  UniqueFd client = connect_to((*relay)->port());
  ASSERT_TRUE(client.valid());
  EXPECT_LT(round_trip(client.get()), milliseconds(1000));
  auto start = Clock::now();
  (*relay)->stop();
  (*relay)->stop();
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(recv_some(client.get(), 1, milliseconds(1000)), "");  // closed
  EXPECT_FALSE(connect_to((*relay)->port()).valid());
}

// Writes to a non-blocking socket until the kernel takes no more: the peer stopped reading
// and every buffer on the way is full. Returns the bytes written.
size_t write_until_full(int fd) {
  const std::string chunk = pattern(65536);
  size_t written = 0;
  while (written < (size_t{1} << 30)) {
    ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  EXPECT_EQ(errno, EAGAIN) << std::strerror(errno);
  return written;
}

// Reads until `size` bytes came, whatever the wait; returns how many came before the peer
// closed or nothing came for 10 s.
size_t read_all(int fd, size_t size) {
  std::vector<char> buf(1 << 16);
  size_t got = 0;
  while (got < size) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 10000) <= 0) break;
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

uint64_t outq(int fd) {
  auto bytes = send_queue_bytes(fd);
  EXPECT_TRUE(bytes.ok()) << bytes.error().message();
  return bytes ? *bytes : 0;
}

// A loopback pair whose reader stops reading: the writer's send queue holds what the reader's
// full receive buffer refused, and empties once the reader read it all.
TEST(RelayQueues, SendQueueHoldsWhatAReaderThatStoppedReadingRefused) {
  UniqueFd listener = listen_on(0);
  ASSERT_TRUE(listener.valid());
  UniqueFd writer = connect_to(local_port(listener.get()));
  ASSERT_TRUE(writer.valid());
  UniqueFd reader(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(reader.valid());
  EXPECT_EQ(outq(writer.get()), 0u);

  const size_t written = write_until_full(writer.get());
  auto received = receive_queue_bytes(reader.get());
  ASSERT_TRUE(received.ok()) << received.error().message();
  EXPECT_GT(*received, 0u);           // the reader's buffer is full...
  EXPECT_GT(outq(writer.get()), 0u);  // ... and the rest waits on the writer's side
  EXPECT_LT(*received, uint64_t{written});

  EXPECT_EQ(read_all(reader.get(), written), written);
  // The last acknowledgement may be delayed: wait for it, without a bound on the outcome.
  EXPECT_TRUE(eventually([&] { return outq(writer.get()) == 0; }, milliseconds(10000)));
  EXPECT_EQ(*receive_queue_bytes(reader.get()), 0u);
  EXPECT_FALSE(send_queue_bytes(-1).ok());
}

// Through the relay: a target that accepts and reads nothing leaves bytes queued toward it
// (ServerStats::bytes_queued_to_server), and none once it read everything.
TEST(RelayQueues, StatsCountBytesATargetHasNotTaken) {
  UniqueFd listener = listen_on(0);
  ASSERT_TRUE(listener.valid());
  auto relay = TcpRelay::start(local_port(listener.get()));
  ASSERT_TRUE(relay.ok()) << relay.error().message();
  UniqueFd client = connect_to((*relay)->port());
  ASSERT_TRUE(client.valid());
  UniqueFd target(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(target.valid());
  EXPECT_EQ((*relay)->stats().bytes_queued_to_target, 0u);

  const size_t written = write_until_full(client.get());
  EXPECT_TRUE(eventually([&] { return (*relay)->stats().bytes_queued_to_target > 0; }));

  EXPECT_EQ(read_all(target.get(), written), written);
  EXPECT_TRUE(eventually([&] { return (*relay)->stats().bytes_queued_to_target == 0; },
                         milliseconds(10000)));
  EXPECT_EQ((*relay)->stats().bytes_from_client, written);
}

}  // namespace
}  // namespace wedge::storage
