// A byte-counting TCP relay on loopback that sits in front of every storage server, and the
// place where network faults are injected at run time (latency, a bandwidth cap, a stall,
// a black hole, connection resets, a server slow from its Nth answer on), since the host
// kernel has no netem.
//
//   WEDGE_TRY(auto relay, storage::TcpRelay::start(server_port));
//   relay->port();                                  // what the guest dials (via 10.0.2.2)
//   relay->set_faults({.delay = std::chrono::milliseconds(200)});
//   relay->reset_connections();                     // RST both sides of every connection
//   relay->set_target_port(restarted_server_port);  // later connections go there
//
// It listens on 127.0.0.1 only and connects only to 127.0.0.1: traffic never leaves the host.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "harness/util/result.h"

namespace wedge::storage {

// Faults applied to every connection, in both directions, from the moment they are set.
struct RelayFaults {
  std::chrono::milliseconds delay{0};  // added latency: a chunk is forwarded this long after it
                                       // arrived (throughput is kept: chunks are pipelined)
  uint64_t rate_bytes_per_s = 0;       // cap per direction, shared by all connections; 0: none
  bool stall = false;      // stop forwarding and stop reading (TCP backpressure) until cleared;
                           // nothing is lost, so the connection resumes afterwards (a peer
                           // that closes meanwhile is noticed only then)
  bool blackhole = false;  // keep reading, but drop everything and send nothing; data read
                           // while it is set is lost for good (the stream is then corrupt)
  // A server slow from its Nth answer on (server-slow-after): every answer after the first
  // slow_after_answers the relay passed on (since it started, all connections) is held this
  // long, server to client only. 0: off.
  std::chrono::milliseconds slow_answer_delay{0};
  uint64_t slow_after_answers = 0;
};

// Counts a server's answers without knowing its protocol: an answer begins when the server
// sends after the client has sent since the server last did (a turn of the conversation).
// Requests pipelined before the first answer count as one.
//
//   AnswerTurns turns;
//   turns.client_sent();
//   turns.server_sent();  // true: an answer begins
//   turns.server_sent();  // false: the same answer goes on
class AnswerTurns {
 public:
  void client_sent() { client_spoke_ = true; }
  [[nodiscard]] bool server_sent() {
    bool begins = client_spoke_;
    client_spoke_ = false;
    return begins;
  }

 private:
  bool client_spoke_ = false;
};

// How long the relay holds bytes of the server's answer number `answer` (0-based, counted as
// AnswerTurns does) beyond `delay`: slow_answer_delay from answer slow_after_answers on.
[[nodiscard]] std::chrono::milliseconds answer_delay(const RelayFaults& faults, uint64_t answer);

struct RelayStats {
  uint64_t bytes_from_client = 0;   // read from clients (the guest side), dropped bytes included
  uint64_t bytes_to_client = 0;     // written to clients
  uint64_t bytes_dropped = 0;       // discarded by the blackhole, either direction
  uint64_t connections = 0;         // accepted since start
  uint64_t active_connections = 0;  // open right now
  uint64_t failed_connects = 0;     // clients dropped because the target never answered
  uint64_t answers = 0;             // server answers passed on (AnswerTurns), all connections
  uint64_t redials = 0;  // target connections dialled again: closed before carrying a byte
  // Bytes clients sent that their targets have not taken yet, summed over connections, at the
  // moment stats() looked: what the relay could not write because the target's receive window
  // is closed (its socket's SIOCOUTQ: on loopback the peer's kernel acknowledges at once, so
  // only a full receive buffer keeps bytes there), what the relay holds itself (a delay or a
  // stall), and what waits unread in its socket from the client (a stall stops reading). A
  // target that stopped reading keeps this above 0; one that took every byte brings it to 0.
  uint64_t bytes_queued_to_target = 0;
};

// Bytes in a socket's send queue, sent or not, that the peer has not acknowledged (SIOCOUTQ):
// send_queue_bytes(fd) -> 0 once the peer's kernel took everything written.
[[nodiscard]] Result<uint64_t> send_queue_bytes(int fd);
// Bytes received on a socket that its owner has not read yet (SIOCINQ).
[[nodiscard]] Result<uint64_t> receive_queue_bytes(int fd);

class TcpRelay {
 public:
  // How long a new client waits for the target to accept before it is dropped; covers a
  // server that is restarting (its port briefly refuses connections).
  static constexpr std::chrono::milliseconds kConnectTimeout{5000};

  // Listens on 127.0.0.1 with an ephemeral port (port() is valid on return) and forwards each
  // connection to 127.0.0.1:target_port, on its own I/O thread.
  [[nodiscard]] static Result<std::unique_ptr<TcpRelay>> start(int target_port);
  ~TcpRelay();  // stop()
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  [[nodiscard]] int port() const;
  [[nodiscard]] int target_port() const;
  // Connections accepted from now on go to the new port; existing ones keep theirs.
  void set_target_port(int port);

  [[nodiscard]] RelayFaults faults() const;
  void set_faults(const RelayFaults& faults);
  void clear_faults() { set_faults(RelayFaults{}); }
  // Closes every current connection with a TCP RST to both the client and the target.
  void reset_connections();

  [[nodiscard]] RelayStats stats() const;

  // Closes the listener and every connection and joins the I/O thread. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit TcpRelay(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace wedge::storage
