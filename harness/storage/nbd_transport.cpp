// transport = "nbd": an export file on the host served by nbd-server or nbdkit behind wedge's
// relay; the guest's nbd-client connects through user-mode networking to /dev/nbd<N>.
#include <algorithm>

#include "harness/storage/export_file.h"
#include "harness/storage/guest_driver.h"
#include "harness/storage/nbd_connect.h"
#include "harness/storage/nbd_server.h"
#include "harness/storage/served_transport.h"
#include "harness/storage/transport_registry.h"

namespace wedge::storage {

namespace {

using config::FaultNeed;

// Up to four devices: /dev/nbd0 and /dev/nbd1 for RAID1 legs, fewer idle ones than the
// default 16.
const Driver kNbd{"nbd", {"nbds_max=4"}, {{"/proc/devices", "nbd"}}};

class NbdTransport final : public ServedTransport<NbdServer> {
 public:
  NbdTransport(const config::Scenario& scenario, int export_index)
      : ServedTransport("nbd"),
        storage_(scenario.storage),
        faults_(scenario.faults),
        index_(export_index) {}

  // No nbd-client: the agent attaches the device itself (its nbd-connect mode).
  ImageNeeds image_needs() const override { return {{}, {kNbd}, {}}; }

  std::vector<std::string> host_programs() const override { return {"nbd-server", "nbdkit"}; }

 private:
  std::filesystem::path data_in(const TransportContext& context) const override {
    return export_file_in(context.run_dir, index_);
  }

  Result<std::unique_ptr<NbdServer>> start_server(const TransportContext& context,
                                                  const std::filesystem::path& data) override {
    NbdServerOptions so;
    so.flavour = server_name(storage_);
    so.binary = storage_.server_binary;
    so.export_file = data;
    so.size_bytes = static_cast<uint64_t>(storage_.size_mib) << 20;
    so.work_dir = served_work_dir(context.run_dir, index_);
    if (so.flavour == "nbdkit") {
      so.controls = nbdkit_controls_for(faults_for_this_export(), so.work_dir);
      so.nbdkit_filters = so.controls.filters;
      so.nbdkit_params = so.controls.params;
    }
    return NbdServer::start(so, context.timeouts.server_start);
  }

  Result<Attached> attach_to(GuestOps& guest, NbdServer& server) override {
    WEDGE_CHECK(ensure_driver(guest, kNbd));
    std::string device = fmt::format("/dev/nbd{}", index_);
    auto connected = guest.run(nbd_connect_argv(kGuestHostAddress, server.guest_port(), device));
    if (!connected) return connected.error();
    return Attached{device, ""};
  }

  std::string idle_description() const override { return server_name(storage_); }

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
