// A Server made of a server guest (server_guest.h) with wedge's TcpRelay in front of its
// forwarded port: what a kernel-served transport (nvme-tcp, knfsd) hands to faults, byte
// counts and reports. A kernel cannot be signalled: SIGSTOP pauses the whole guest and
// SIGCONT resumes it; kill destroys nothing and restart is not offered (errors that say so).
//
//   WEDGE_TRY(auto server, GuestServer::start(std::move(guest), 4420, "nvmet-tcp in ..."));
//   spec.host_ports.push_back(server->guest_port());   // the client dials the relay
#pragma once

#include <memory>
#include <string>

#include "harness/storage/relay.h"
#include "harness/storage/server.h"
#include "harness/storage/server_guest.h"

namespace wedge::storage {

class GuestServer final : public Server {
 public:
  // A relay to the host port QEMU forwards to the guest's served_port.
  [[nodiscard]] static Result<std::unique_ptr<GuestServer>> start(
      std::unique_ptr<ServerGuest> guest, int served_port, std::string description);
  ~GuestServer() override;  // stop()

  [[nodiscard]] int guest_port() const override { return relay_->port(); }
  [[nodiscard]] bool healthy() override { return guest_ && guest_->healthy(); }
  [[nodiscard]] ServerStats stats() const override;
  [[nodiscard]] std::string describe() const override { return description_; }
  [[nodiscard]] Status stop() override;
  [[nodiscard]] Status signal(int sig) override;
  [[nodiscard]] Status kill() override;
  [[nodiscard]] Status restart(std::chrono::milliseconds timeout) override;
  [[nodiscard]] TcpRelay& relay() override { return *relay_; }
  [[nodiscard]] std::filesystem::path log_path() const override { return {}; }

  [[nodiscard]] ServerGuest* server_guest() override { return guest_.get(); }

 private:
  GuestServer(std::unique_ptr<ServerGuest> guest, std::unique_ptr<TcpRelay> relay,
              std::string description);

  std::unique_ptr<ServerGuest> guest_;
  std::unique_ptr<TcpRelay> relay_;
  std::string description_;
  bool paused_ = false;
};

}  // namespace wedge::storage
