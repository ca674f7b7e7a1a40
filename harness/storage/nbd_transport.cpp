// transport = "nbd": an export file on the host served by nbd-server or nbdkit behind wedge's
// relay; the guest's nbd-client connects through user-mode networking to /dev/nbd<N>.
#include <algorithm>

#include "harness/storage/export_file.h"
#include "harness/storage/guest_driver.h"
#include "harness/storage/nbd_connect.h"
#include "harness/storage/nbd_server.h"
#include "harness/storage/transport.h"
#include "harness/storage/transport_registry.h"

namespace wedge::storage {

namespace {

using config::FaultNeed;

// Up to four devices: /dev/nbd0 and /dev/nbd1 for RAID1 legs, fewer idle ones than the
// default 16.
const Driver kNbd{"nbd", {"nbds_max=4"}, {{"/proc/devices", "nbd"}}};

class NbdTransport final : public Transport {
 public:
  NbdTransport(const config::Scenario& scenario, int export_index)
      : storage_(scenario.storage), faults_(scenario.faults), index_(export_index) {}
  ~NbdTransport() override { (void)stop(); }

  // No nbd-client: the agent attaches the device itself (its nbd-connect mode).
  ImageNeeds image_needs() const override { return {{}, {kNbd}, {}}; }

  std::vector<std::string> host_programs() const override { return {"nbd-server", "nbdkit"}; }

  Status start_host(const TransportContext& context) override {
    NbdServerOptions so;
    so.flavour = server_name(storage_);
    so.binary = storage_.server_binary;
    so.export_file = export_file_in(context.run_dir, index_);
    export_ = so.export_file;
    so.size_bytes = static_cast<uint64_t>(storage_.size_mib) << 20;
    so.work_dir = index_ == 0 ? context.run_dir : context.run_dir / fmt::format("leg{}", index_);
    if (so.flavour == "nbdkit") {
      so.controls = nbdkit_controls_for(faults_for_this_export(), so.work_dir);
      so.nbdkit_filters = so.controls.filters;
      so.nbdkit_params = so.controls.params;
    }
    WEDGE_TRY(server_, NbdServer::start(so, context.timeouts.server_start));
    return ok_status();
  }

  void adjust_vm(vm::VmSpec& spec) const override {
    if (server_) spec.host_ports.push_back(server_->guest_port());
  }

  Result<Attached> attach(GuestOps& guest) override {
    if (!server_) return make_error("nbd: the host server was not started");
    WEDGE_CHECK(ensure_driver(guest, kNbd));
    std::string device = fmt::format("/dev/nbd{}", index_);
    auto connected = guest.run(nbd_connect_argv(kGuestHostAddress, server_->guest_port(), device));
    if (!connected) return connected.error();
    return Attached{device, ""};
  }

  std::vector<std::filesystem::path> exports() const override {
    if (export_.empty()) return {};
    return {export_};
  }
  std::vector<Server*> servers() override {
    if (!server_) return {};
    return {server_.get()};
  }
  std::string describe() const override {
    return server_ ? server_->describe() : server_name(storage_);
  }
  Status stop() override { return server_ ? server_->stop() : ok_status(); }

 private:
  // nbdkit filters are fixed at start: only this leg's faults shape its command line.
  std::vector<config::FaultConfig> faults_for_this_export() const {
    std::vector<config::FaultConfig> mine;
    std::copy_if(faults_.begin(), faults_.end(), std::back_inserter(mine),
                 [this](const config::FaultConfig& f) { return f.leg == index_; });
    return mine;
  }

  const config::StorageConfig storage_;
  const std::vector<config::FaultConfig> faults_;
  const int index_;
  std::unique_ptr<NbdServer> server_;
  std::filesystem::path export_;
};

std::vector<FaultNeed> capabilities(const config::StorageConfig& storage) {
  std::vector<FaultNeed> can = {FaultNeed::kRelay, FaultNeed::kServerProcess};
  if (storage.server == "nbdkit") can.push_back(FaultNeed::kNbdkit);
  return can;
}

}  // namespace

const TransportEntry& nbd_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNbd,
                                    .file_transport = false,
                                    .mirrors = true,
                                    .servers = {"nbd-server", "nbdkit"},
                                    .capabilities = capabilities,
                                    .make = make_transport<NbdTransport>,
                                    .kconfig_fragment = "nbd"};
  return entry;
}

}  // namespace wedge::storage
