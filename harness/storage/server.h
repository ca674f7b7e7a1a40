// A storage server on the host that a guest reaches over user-mode networking.
// The guest dials 10.0.2.2:guest_port(); QEMU forwards that to 127.0.0.1 on the host.
// Every server sits behind a byte-counting TCP relay (relay.h), which is also where
// network faults are injected, so guest_port() is the relay's port.
//
//   WEDGE_TRY(auto nbd, storage::NbdServer::start({.flavour = "nbd-server", ...}));
//   nbd->guest_port();    // pass to nbd-client in the guest
//   nbd->stats();         // bytes the guest wrote and read
#pragma once

#include <cstdint>
#include <string>

#include "harness/util/result.h"

namespace wedge::storage {

inline constexpr const char* kGuestHostAddress = "10.0.2.2";

struct ServerStats {
  uint64_t bytes_from_guest = 0;  // wire bytes the guest sent (writes + requests)
  uint64_t bytes_to_guest = 0;    // wire bytes the server sent back (reads + replies)
  uint64_t connections = 0;
};

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
};

}  // namespace wedge::storage
