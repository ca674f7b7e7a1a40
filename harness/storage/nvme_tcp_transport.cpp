// transport = "nvme-tcp": NVMe over TCP served by a kernel. A server guest (server_guest.h)
// exports a sparse file of the run folder, its virtio disk, through the kernel target nvmet-tcp
// (set up through configfs, nvmet.h); its port is forwarded to the host, where wedge's relay
// sits in front of it; the client's nvme-tcp host connects to the relay through
// /dev/nvme-fabrics. Like NBD, the host side marks its sockets for the memory reserves
// (sk_set_memalloc) so that swap can go over it. A RAID1 leg gets its own server guest.
#include "harness/storage/guest_driver.h"
#include "harness/storage/guest_served.h"
#include "harness/storage/nvmet.h"
#include "harness/storage/transport_checks.h"

namespace wedge::storage {

namespace {

using config::FaultNeed;

// The server guest's disk: the export.
const Driver kVirtioBlk{"virtio_blk", {}, {{"/proc/devices", "virtblk"}}};

class NvmeTcpTransport final : public GuestServedTransport {
 public:
  NvmeTcpTransport(const config::Scenario& scenario, int export_index)
      : GuestServedTransport("nvmet-tcp"),
        storage_(scenario.storage),
        export_index_(export_index),
        nqn_(fmt::format("nqn.2026-12.io.wedge:export{}", export_index)) {}

  // The same image boots both guests: the client's host driver and the server's target.
  ImageNeeds image_needs() const override { return {{}, {kNvmeTcp, kNvmetTcp, kVirtioBlk}, {}}; }

  Status start_host(const TransportContext& context) override {
    return serve(context,
                 {.export_index = export_index_,
                  .size_mib = storage_.size_mib,
                  .memory_mib = storage_.server_memory_mib,
                  .port = kNvmeTcpPort},
                 [this](GuestOps& ops) -> Status {
                   ops.say(fmt::format("guest: nvmet-tcp exporting /dev/vda as {} on port {}", nqn_,
                                       kNvmeTcpPort));
                   WEDGE_CHECK(ensure_drivers(ops, {kVirtioBlk, kNvmetTcp}));
                   WEDGE_CHECK(ensure_configfs(ops));
                   return apply_steps(ops, nvmet_target_steps({nqn_, "/dev/vda", kNvmeTcpPort}));
                 });
  }

 private:
  Result<Attached> attach_to(GuestOps& guest, int relay_port) override {
    WEDGE_CHECK(ensure_driver(guest, kNvmeTcp));
    const std::string options = nvme_connect_options(kGuestHostAddress, relay_port, nqn_);
    guest.say("guest: nvme connect " + options);
    WEDGE_CHECK(guest.write_file("/dev/nvme-fabrics", options).context("nvme connect " + options));
    WEDGE_TRY(std::string device, find_nvme_namespace(guest, nqn_, guest.command_timeout()));
    return Attached{device, ""};
  }

  const config::StorageConfig storage_;
  const int export_index_;
  const std::string nqn_;
};

// server-stall pauses the server guest (GuestServer); nothing can kill or restart a kernel.
std::vector<FaultNeed> capabilities(const config::StorageConfig&) {
  return {FaultNeed::kRelay, FaultNeed::kServerProcess, FaultNeed::kServerGuest};
}

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(no_kill_or_restart(s, "the nvme-tcp server"));
  return no_server_binary(
      s, "transport = \"nvme-tcp\" is served by the kernel's nvmet-tcp in a server guest");
}

}  // namespace

const TransportEntry& nvme_tcp_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNvmeTcp,
                                    .file_transport = false,
                                    .mirrors = true,
                                    .servers = {"nvmet"},
                                    .capabilities = capabilities,
                                    .validate = validate,
                                    .make = make_transport<NvmeTcpTransport>,
                                    .kconfig_fragment = "nvme-tcp"};
  return entry;
}

}  // namespace wedge::storage
