// The one shape of a transport served by a kernel in a server guest (nvme-tcp, nfs with
// server = "knfsd"): a sparse export file in the run folder becomes the server guest's
// /dev/vda, the guest boots (server_guest.h), the transport's `configure` sets its target up
// through the guest's agent, the target's port listens, and wedge's relay sits in front of the
// forwarded port (guest_server.h). A RAID1 leg gets its own server guest ("server-leg1").
// GuestServedTransport is that shape as a Transport: a kernel-served transport says only what
// its image needs, how to configure its target (serve()) and how the client attaches.
//
//   class NvmeTcpTransport final : public GuestServedTransport {
//     Status start_host(const TransportContext& c) override {
//       return serve(c, {.size_mib = 1024, .memory_mib = 256, .port = 4420, .what = "nvmet-tcp"},
//                    [&](GuestOps& g) { return configure_nvmet(g); });
//     }
//     Result<Attached> attach_to(GuestOps& client, int relay_port) override;
//   };
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness/storage/guest_server.h"
#include "harness/storage/transport.h"

namespace wedge::storage {

struct GuestServedOptions {
  int export_index = 0;   // 0, or 1 for the second RAID1 leg
  int size_mib = 1024;    // the export file, the server guest's /dev/vda
  int memory_mib = 256;   // the server guest's RAM
  int port = 0;           // the target's TCP port in the server guest
  std::string what = {};  // "nvmet-tcp", "knfsd": for messages and the description
};

// The server guest's role (its folder in the run directory): "server", "server-leg1".
[[nodiscard]] std::string server_role(int export_index);

// Boots, configures and relays; *export_file is set before anything can fail (so a failed
// start still has its data removed).
[[nodiscard]] Result<std::unique_ptr<GuestServer>> start_guest_served(
    const TransportContext& context, const GuestServedOptions& options,
    std::filesystem::path* export_file, const std::function<Status(GuestOps&)>& configure);

class GuestServedTransport : public Transport {
 public:
  ~GuestServedTransport() override { (void)stop(); }

  void adjust_vm(vm::VmSpec& spec) const final {
    if (server_) spec.host_ports.push_back(server_->guest_port());
  }
  Result<Attached> attach(GuestOps& guest) final {
    if (!server_) return make_error("{}: the server guest was not started", what_);
    return attach_to(guest, server_->guest_port());
  }
  std::vector<Server*> servers() final {
    if (!server_) return {};
    return {server_.get()};
  }
  std::vector<std::filesystem::path> exports() const final {
    if (export_file_.empty()) return {};
    return {export_file_};
  }
  std::string describe() const final { return server_ ? server_->describe() : what_; }
  Status stop() final {
    if (!server_) return ok_status();
    Status s = server_->stop();
    server_.reset();
    return s;
  }

 protected:
  explicit GuestServedTransport(std::string what) : what_(std::move(what)) {}
  // start_host's work: the server guest up, configured and relayed (start_guest_served).
  [[nodiscard]] Status serve(const TransportContext& context, GuestServedOptions options,
                             const std::function<Status(GuestOps&)>& configure) {
    options.what = what_;
    WEDGE_TRY(server_, start_guest_served(context, options, &export_file_, configure));
    return ok_status();
  }
  // Makes the storage appear in the client, which reaches the target at
  // kGuestHostAddress:relay_port.
  [[nodiscard]] virtual Result<Attached> attach_to(GuestOps& guest, int relay_port) = 0;

 private:
  std::string what_;
  std::filesystem::path export_file_;
  std::unique_ptr<GuestServer> server_;
};

}  // namespace wedge::storage
