// A storage server on the host that a guest reaches over user-mode networking.
// The guest dials 10.0.2.2:guest_port(); QEMU forwards that to 127.0.0.1 on the host.
// Every server sits behind a byte-counting TCP relay (relay.h), which is also where
// network faults are injected, so guest_port() is the relay's port. Fault injectors act on
// this interface only (signal, kill, restart, relay, nbdkit controls), never on one server type.
//
//   WEDGE_TRY(auto nbd, storage::NbdServer::start({.flavour = "nbd-server", ...}, 10s));
//   storage::Server& server = *nbd;
//   server.guest_port();    // pass to the guest's client
//   server.stats();         // bytes the guest wrote and read
//   WEDGE_CHECK(server.signal(SIGSTOP));
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "harness/storage/nbdkit_controls.h"
#include "harness/storage/relay.h"
#include "harness/util/result.h"

namespace wedge::storage {

class ServerGuest;  // server_guest.h

inline constexpr const char* kGuestHostAddress = "10.0.2.2";

struct ServerStats {
  uint64_t bytes_from_guest = 0;  // wire bytes the guest sent (writes + requests)
  uint64_t bytes_to_guest = 0;    // wire bytes the server sent back (reads + replies)
  uint64_t connections = 0;
  // Bytes the guest sent that the server has not taken yet, right now (the relay's
  // bytes_queued_to_target): above 0 for seconds on end only when the server stopped reading.
  uint64_t bytes_queued_to_server = 0;
};

// A relay's counts as the server's: what the guest sent, what came back, connections, and the
// bytes toward the server it has not taken yet.
[[nodiscard]] inline ServerStats server_stats_of(const RelayStats& relay) {
  ServerStats s;
  s.bytes_from_guest = relay.bytes_from_client;
  s.bytes_to_guest = relay.bytes_to_client;
  s.connections = relay.connections;
  s.bytes_queued_to_server = relay.bytes_queued_to_target;
  return s;
}

class Server {
 public:
  virtual ~Server() = default;  // stops the server and its relay
  // The port the guest dials at kGuestHostAddress.
  [[nodiscard]] virtual int guest_port() const = 0;
  // True when the server process is alive and accepting on its port.
  [[nodiscard]] virtual bool healthy() = 0;
  [[nodiscard]] virtual ServerStats stats() const = 0;
  // Human-readable name and version ("nbd-server 3.24") for reports.
  [[nodiscard]] virtual std::string describe() const = 0;
  // Stops the server now; keeps the first error. Safe to call twice.
  [[nodiscard]] virtual Status stop() = 0;
  // Sends sig to every process of the server (SIGSTOP/SIGCONT freeze and thaw it).
  [[nodiscard]] virtual Status signal(int sig) = 0;
  // Kills the server as a crash would; the relay stays, so the guest's dials fail or wait.
  [[nodiscard]] virtual Status kill() = 0;
  // Starts it again on the same data; guest_port() never changes.
  [[nodiscard]] virtual Status restart(std::chrono::milliseconds timeout) = 0;
  // The relay in front of the server, for network faults.
  [[nodiscard]] virtual TcpRelay& relay() = 0;
  // nbdkit's run-time fault controls, or nullptr for a server without them.
  [[nodiscard]] virtual const NbdkitControls* nbdkit_controls() const { return nullptr; }
  // The server's own log (for reports and error messages).
  [[nodiscard]] virtual std::filesystem::path log_path() const = 0;
  // How the server process ended ("killed by SIGKILL", "exit 1"); empty while it runs or when
  // that is not known.
  [[nodiscard]] virtual std::string exit_description() const { return {}; }
  // The server guest serving the storage (a kernel target), or nullptr for a host process.
  [[nodiscard]] virtual ServerGuest* server_guest() { return nullptr; }
};

}  // namespace wedge::storage
