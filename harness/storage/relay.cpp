// Implementation of relay.h on Boost.Asio: one I/O thread; every connection is two pipes
// (client->target, target->client), each a read loop feeding a queue of timestamped chunks and
// a write loop draining it, which is where delay, rate, stall, blackhole and a slow server's
// answers apply. The bytes queued toward targets are read from other threads through a registry
// of the connections' socket fds (a connection leaves it before its sockets close).
#include "harness/storage/relay.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace wedge::storage {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr size_t kChunkSize = 64 * 1024;
// Per pipe: stop reading when this much is queued (a slow or stalled writer holds back the
// sender through TCP instead of growing memory).
constexpr size_t kMaxQueued = 1 << 20;
constexpr std::chrono::milliseconds kConnectRetry{50};
constexpr std::chrono::milliseconds kAcceptRetry{100};
// A target that closes every connection before a byte is not restarting: pass it on after this.
constexpr int kMaxRedials = 20;

enum Direction { kToTarget = 0, kToClient = 1 };

class Connection;

}  // namespace

struct TcpRelay::Impl {
  asio::io_context io;  // first member: destroyed last, after everything that uses it
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::thread thread;
  int port = 0;
  std::atomic<int> target_port{0};

  mutable std::mutex faults_mutex;
  RelayFaults faults;

  std::atomic<uint64_t> from_client{0};
  std::atomic<uint64_t> to_client{0};
  std::atomic<uint64_t> dropped{0};
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> active{0};
  std::atomic<uint64_t> failed_connects{0};
  std::atomic<uint64_t> answers{0};
  std::atomic<uint64_t> redials{0};
  std::atomic<uint64_t> held_to_target{0};  // read from clients, not yet written to targets

  // The client and target fds of every connected connection, for stats() on other threads.
  // A connection is removed before its sockets close, under the mutex, so no fd read here
  // belongs to anything else.
  struct SocketFds {
    int client = -1;
    int target = -1;
  };
  mutable std::mutex sockets_mutex;
  std::unordered_map<const void*, SocketFds> sockets;

  // I/O thread only. The relay owns its connections (not their pending operations: a stalled
  // connection has none), until Connection::close removes them.
  std::unordered_map<Connection*, std::shared_ptr<Connection>> live;
  Clock::time_point link_free_at[2] = {};  // rate limiting: when each direction is free again

  std::mutex stop_mutex;
  bool stopped = false;

  [[nodiscard]] RelayFaults current_faults() const {
    std::lock_guard lock(faults_mutex);
    return faults;
  }
  void accept_next();
  template <typename F>
  void for_each_live(F f);
  [[nodiscard]] uint64_t queued_to_targets() const;
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(TcpRelay::Impl& relay, tcp::socket client)
      : relay_(relay),
        client_(std::move(client)),
        target_(relay.io),
        connect_timer_(relay.io),
        to_target_(kToTarget, client_, target_, relay.io),
        to_client_(kToClient, target_, client_, relay.io) {}

  void start() {
    relay_.live[this] = shared_from_this();
    connect_deadline_ = Clock::now() + TcpRelay::kConnectTimeout;
    connect_target();
  }

  // Faults changed: resume whatever they held back.
  void kick() {
    if (closed_ || !connected_) return;
    for (Pipe* p : {&to_target_, &to_client_}) {
      write(*p);
      read(*p);
    }
  }

  // Closes both sockets; with reset, each peer gets an RST instead of a FIN.
  void close(bool reset) {
    if (closed_) return;
    closed_ = true;
    auto keep_alive = shared_from_this();  // erasing it from live below may drop the last owner
    {
      std::lock_guard lock(relay_.sockets_mutex);
      relay_.sockets.erase(this);
    }
    unqueue(to_target_, to_target_.queued);
    error_code ec;
    for (tcp::socket* s : {&client_, &target_}) {
      if (!s->is_open()) continue;
      if (reset) s->set_option(asio::socket_base::linger(true, 0), ec);
      s->close(ec);
    }
    connect_timer_.cancel();
    to_target_.timer.cancel();
    to_client_.timer.cancel();
    relay_.live.erase(this);
    relay_.active--;
  }

 private:
  struct Chunk {
    std::vector<char> data;
    size_t offset = 0;
    Clock::time_point ready_at;
  };

  struct Pipe {
    Pipe(Direction d, tcp::socket& f, tcp::socket& t, asio::io_context& io)
        : dir(d), from(f), to(t), buffer(kChunkSize), timer(io) {}
    Direction dir;
    tcp::socket& from;
    tcp::socket& to;
    std::vector<char> buffer;
    std::deque<Chunk> queue;
    size_t queued = 0;
    bool reading = false;
    bool writing = false;
    bool waiting = false;  // on timer, for delay or rate
    bool eof = false;      // the source finished sending
    bool shut = false;     // ... and that was passed on (shutdown of the sink's write side)
    asio::steady_timer timer;
  };

  // The pipe's backlog grew or shrank; the relay-wide count toward targets follows.
  void enqueue(Pipe& p, size_t n) {
    p.queued += n;
    if (p.dir == kToTarget) relay_.held_to_target += n;
  }
  void unqueue(Pipe& p, size_t n) {
    p.queued -= n;
    if (p.dir == kToTarget) relay_.held_to_target -= n;
  }

  void connect_target() {
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(),
                           static_cast<unsigned short>(relay_.target_port.load()));
    target_.async_connect(
        endpoint, [self = shared_from_this()](const error_code& ec) { self->on_connect(ec); });
  }

  void on_connect(const error_code& ec) {
    if (closed_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      connected_ = true;
      error_code ignored;
      client_.set_option(tcp::no_delay(true), ignored);
      target_.set_option(tcp::no_delay(true), ignored);
      {
        std::lock_guard lock(relay_.sockets_mutex);
        relay_.sockets[this] = {client_.native_handle(), target_.native_handle()};
      }
      kick();
      return;
    }
    if (Clock::now() >= connect_deadline_) {
      relay_.failed_connects++;
      close(true);
      return;
    }
    // The server may be restarting: its port refuses for a moment.
    dial_again_later();
  }

  // Drops the target socket and dials again after kConnectRetry.
  void dial_again_later() {
    error_code ignored;
    target_.close(ignored);
    connect_timer_.expires_after(kConnectRetry);
    connect_timer_.async_wait([self = shared_from_this()](const error_code& wait_ec) {
      if (wait_ec || self->closed_) return;
      self->connect_target();
    });
  }

  void read(Pipe& p) {
    if (closed_ || !connected_ || p.reading || p.eof || p.queued >= kMaxQueued) return;
    RelayFaults faults = relay_.current_faults();
    if (faults.stall) return;
    size_t size = kChunkSize;
    if (faults.rate_bytes_per_s > 0) {
      // Small reads keep a slow link smooth instead of bursting a whole chunk at once.
      size = std::clamp<size_t>(faults.rate_bytes_per_s / 20, 512, kChunkSize);
    }
    p.reading = true;
    p.from.async_read_some(asio::buffer(p.buffer.data(), size),
                           [self = shared_from_this(), &p](const error_code& ec, size_t n) {
                             self->on_read(p, ec, n);
                           });
  }

  void on_read(Pipe& p, const error_code& ec, size_t n) {
    p.reading = false;
    if (closed_) return;
    if (p.dir == kToClient && n == 0 && ec && ec != asio::error::operation_aborted &&
        target_untouched() && redials_ < kMaxRedials) {
      redial_target();
      return;
    }
    if (p.dir == kToClient && n > 0) target_spoke_ = true;
    if (n > 0) {
      if (p.dir == kToTarget) relay_.from_client += n;
      RelayFaults faults = relay_.current_faults();
      if (faults.blackhole) {
        relay_.dropped += n;
      } else {
        std::chrono::milliseconds delay = faults.delay;
        if (p.dir == kToTarget) {
          turns_.client_sent();
        } else {
          if (turns_.server_sent()) answer_ = relay_.answers++;
          delay += answer_delay(faults, answer_);
        }
        p.queue.push_back(Chunk{{p.buffer.begin(), p.buffer.begin() + static_cast<ptrdiff_t>(n)},
                                0,
                                Clock::now() + delay});
        enqueue(p, n);
      }
    }
    if (ec == asio::error::eof) {
      p.eof = true;
    } else if (ec) {
      if (ec != asio::error::operation_aborted) close(true);  // a reset passes on as a reset
      return;
    }
    write(p);
    read(p);
  }

  void write(Pipe& p) {
    if (closed_ || !connected_ || p.writing || p.waiting) return;
    RelayFaults faults = relay_.current_faults();
    if (faults.stall) return;
    if (faults.blackhole && !p.queue.empty()) {
      relay_.dropped += p.queued;
      p.queue.clear();
      unqueue(p, p.queued);
    }
    if (p.queue.empty()) {
      if (p.eof && !p.shut) {
        p.shut = true;
        error_code ignored;
        p.to.shutdown(tcp::socket::shutdown_send, ignored);
        if (to_target_.shut && to_client_.shut) close(false);
      }
      return;
    }
    Chunk& chunk = p.queue.front();
    size_t n = chunk.data.size() - chunk.offset;
    Clock::time_point now = Clock::now();
    Clock::time_point send_at = chunk.ready_at;
    Clock::time_point& link_free_at = relay_.link_free_at[p.dir];
    if (faults.rate_bytes_per_s > 0) {
      n = std::min(n, std::clamp<size_t>(faults.rate_bytes_per_s / 20, 512, kChunkSize));
      send_at = std::max(send_at, link_free_at);
    }
    if (send_at > now) {
      p.waiting = true;
      p.timer.expires_at(send_at);
      p.timer.async_wait([self = shared_from_this(), &p](const error_code& ec) {
        p.waiting = false;
        if (ec || self->closed_) return;
        self->write(p);
      });
      return;
    }
    if (faults.rate_bytes_per_s > 0) {
      link_free_at = std::max(now, link_free_at) +
                     std::chrono::nanoseconds(n * 1'000'000'000ULL / faults.rate_bytes_per_s);
    }
    p.writing = true;
    asio::async_write(p.to, asio::buffer(chunk.data.data() + chunk.offset, n),
                      [self = shared_from_this(), &p](const error_code& ec, size_t written) {
                        self->on_write(p, ec, written);
                      });
  }

  void on_write(Pipe& p, const error_code& ec, size_t written) {
    p.writing = false;
    if (closed_) return;
    if (ec) {
      if (ec != asio::error::operation_aborted) close(true);
      return;
    }
    if (p.dir == kToClient) relay_.to_client += written;
    if (p.dir == kToTarget && written > 0) wrote_to_target_ = true;
    if (!p.queue.empty()) {  // the blackhole may have emptied it meanwhile
      Chunk& chunk = p.queue.front();
      chunk.offset += written;
      unqueue(p, std::min(p.queued, written));
      if (chunk.offset >= chunk.data.size()) p.queue.pop_front();
    }
    write(p);
    read(p);
  }

  // Neither side of the target connection has carried a byte yet, and no write toward it is
  // under way: it can be dialled again without the client noticing or a byte sent twice.
  [[nodiscard]] bool target_untouched() const {
    return !target_spoke_ && !wrote_to_target_ && !to_target_.writing;
  }

  // The target closed or reset a connection before it said or took anything: a server that
  // serves one session at a time (nbd-server -d) accepted it into the backlog of a process
  // that was ending its session, and a new process listens now. Dial again, as for a
  // refused connect, instead of passing that reset on to a client that never saw the target.
  void redial_target() {
    {
      std::lock_guard lock(relay_.sockets_mutex);
      relay_.sockets.erase(this);
    }
    connected_ = false;
    relay_.redials++;
    redials_++;
    dial_again_later();
  }

  TcpRelay::Impl& relay_;
  tcp::socket client_;
  tcp::socket target_;
  asio::steady_timer connect_timer_;
  Clock::time_point connect_deadline_;
  Pipe to_target_;
  Pipe to_client_;
  bool connected_ = false;
  bool closed_ = false;
  bool target_spoke_ = false;     // a byte came from the target
  bool wrote_to_target_ = false;  // a byte of the client's went to the target
  int redials_ = 0;
  AnswerTurns turns_;
  uint64_t answer_ = 0;  // the relay-wide number of the answer the server is sending
};

}  // namespace

template <typename F>
void TcpRelay::Impl::for_each_live(F f) {
  // Copy first: closing a connection removes it from the map.
  std::vector<std::shared_ptr<Connection>> current;
  current.reserve(live.size());
  for (auto& [raw, connection] : live) current.push_back(connection);
  for (auto& c : current) f(*c);
}

uint64_t TcpRelay::Impl::queued_to_targets() const {
  uint64_t queued = held_to_target.load();
  std::lock_guard lock(sockets_mutex);
  for (const auto& entry : sockets) {
    // A socket that cannot say counts as empty: stats are a best effort.
    if (auto out = send_queue_bytes(entry.second.target)) queued += *out;
    if (auto in = receive_queue_bytes(entry.second.client)) queued += *in;
  }
  return queued;
}

namespace {

Result<uint64_t> socket_queue_bytes(int fd, unsigned long request, const char* name) {
  int bytes = 0;
  if (::ioctl(fd, request, &bytes) != 0) {
    return make_error("{} on socket {}: {}", name, fd, std::strerror(errno));
  }
  return static_cast<uint64_t>(std::max(bytes, 0));
}

}  // namespace

Result<uint64_t> send_queue_bytes(int fd) { return socket_queue_bytes(fd, SIOCOUTQ, "SIOCOUTQ"); }

Result<uint64_t> receive_queue_bytes(int fd) { return socket_queue_bytes(fd, SIOCINQ, "SIOCINQ"); }

void TcpRelay::Impl::accept_next() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // Out of descriptors or similar: try again shortly rather than spin.
      accept_retry.expires_after(kAcceptRetry);
      accept_retry.async_wait([this](const error_code& wait_ec) {
        if (!wait_ec) accept_next();
      });
      return;
    }
    connections++;
    active++;
    std::make_shared<Connection>(*this, std::move(socket))->start();
    accept_next();
  });
}

TcpRelay::TcpRelay(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

TcpRelay::~TcpRelay() { stop(); }

Result<std::unique_ptr<TcpRelay>> TcpRelay::start(int target_port) {
  if (target_port < 1 || target_port > 65535) {
    return make_error("relay: target port {} out of range", target_port);
  }
  auto impl = std::make_shared<Impl>();
  impl->target_port = target_port;
  error_code ec;
  tcp::endpoint endpoint(asio::ip::address_v4::loopback(), 0);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return make_error("relay: listening on 127.0.0.1: {}", ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return make_error("relay: local address: {}", ec.message());
  impl->accept_next();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    while (true) {
      try {
        raw->io.run();
        return;
      } catch (const std::exception&) {
        // A handler threw (allocation failure): keep relaying the other connections.
      }
    }
  });
  return std::unique_ptr<TcpRelay>(new TcpRelay(std::move(impl)));
}

int TcpRelay::port() const { return impl_->port; }

int TcpRelay::target_port() const { return impl_->target_port.load(); }

std::chrono::milliseconds answer_delay(const RelayFaults& faults, uint64_t answer) {
  if (faults.slow_answer_delay.count() <= 0 || answer < faults.slow_after_answers) {
    return std::chrono::milliseconds(0);
  }
  return faults.slow_answer_delay;
}

void TcpRelay::set_target_port(int port) { impl_->target_port = port; }

RelayFaults TcpRelay::faults() const { return impl_->current_faults(); }

void TcpRelay::set_faults(const RelayFaults& faults) {
  {
    std::lock_guard lock(impl_->faults_mutex);
    impl_->faults = faults;
  }
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] { impl->for_each_live([](Connection& c) { c.kick(); }); });
}

void TcpRelay::reset_connections() {
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] { impl->for_each_live([](Connection& c) { c.close(true); }); });
}

RelayStats TcpRelay::stats() const {
  RelayStats s;
  s.bytes_from_client = impl_->from_client.load();
  s.bytes_to_client = impl_->to_client.load();
  s.answers = impl_->answers.load();
  s.redials = impl_->redials.load();
  s.bytes_dropped = impl_->dropped.load();
  s.connections = impl_->connections.load();
  s.active_connections = impl_->active.load();
  s.failed_connects = impl_->failed_connects.load();
  s.bytes_queued_to_target = impl_->queued_to_targets();
  return s;
}

void TcpRelay::stop() {
  {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
  }
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry.cancel();
    impl->for_each_live([](Connection& c) { c.close(false); });
    impl->io.stop();
  });
  if (impl->thread.joinable()) impl->thread.join();
}

}  // namespace wedge::storage
