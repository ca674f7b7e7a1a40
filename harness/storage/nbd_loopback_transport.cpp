// transport = "nbd-loopback": nbd-server runs inside the guest, exporting the guest's own
// virtio disk, and the guest attaches to it over 127.0.0.1: the server needs memory to write
// out the memory the kernel is trying to free (the classic loopback deadlock). With
// server_io_flusher = true the server starts through the agent's io-flusher mode
// (PR_SET_IO_FLUSHER and mlockall, then exec), the mitigation the kernel offers such daemons.
#include "harness/storage/guest_driver.h"
#include "harness/storage/nbd_connect.h"
#include "harness/storage/proc_net_tcp.h"
#include "harness/storage/transport.h"
#include "harness/storage/transport_checks.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace {

// The port nbd-server listens on inside the guest.
constexpr int kGuestNbdPort = 10809;
constexpr const char* kGuestConfig = "/tmp/nbd-server.conf";

// The guest's disk (the export), and /dev/nbd0 with one spare.
const Driver kVirtioBlk{"virtio_blk", {}, {{"/proc/devices", "virtblk"}}};
const Driver kNbd{"nbd", {"nbds_max=2"}, {{"/proc/devices", "nbd"}}};

class NbdLoopbackTransport final : public Transport {
 public:
  explicit NbdLoopbackTransport(const config::Scenario& scenario) : storage_(scenario.storage) {}

  // nbd-server's GnuTLS (NBD over TLS, never configured here) and what it pulls in are 7 MB of
  // pinned guest RAM: a stand-in takes its place (vm-images/stand_ins.h).
  ImageNeeds image_needs() const override {
    return {{"nbd-server"}, {kNbd, kVirtioBlk}, {}, {}, {"nbd-server"}};
  }

  Status start_host(const TransportContext& context) override {
    disk_ = context.run_dir / "export.img";
    return create_sparse_file(disk_, static_cast<uint64_t>(storage_.size_mib) << 20);
  }

  void adjust_vm(vm::VmSpec& spec) const override { spec.disks.push_back(disk_); }

  Result<Attached> attach(GuestOps& guest) override {
    WEDGE_CHECK(ensure_drivers(guest, {kVirtioBlk, kNbd}));
    WEDGE_CHECK(guest.write_file(
        kGuestConfig,
        fmt::format(
            "[generic]\nlistenaddr = 127.0.0.1\nport = {}\n[wedge]\nexportname = /dev/vda\n",
            kGuestNbdPort)));
    WEDGE_TRY(auto server, find_executable("nbd-server"));
    std::vector<std::string> argv = {server.string(), "-C", kGuestConfig, "-d"};
    if (storage_.server_io_flusher) argv.insert(argv.begin(), {"/init", "io-flusher"});
    guest.say(fmt::format("guest: nbd-server on 127.0.0.1:{} exporting /dev/vda{}", kGuestNbdPort,
                          storage_.server_io_flusher ? " (PR_SET_IO_FLUSHER, mlockall)" : ""));
    WEDGE_TRY(uint32_t job, guest.start("guest nbd-server", argv));
    WEDGE_CHECK(wait_in_guest(
        guest,
        [&]() -> Result<bool> {
          if (auto out = guest.exited(job)) return make_error("nbd-server exited: {}", *out);
          WEDGE_TRY(std::string tcp, guest.read_file("/proc/net/tcp", 1 << 20));
          return tcp_listening(tcp, kGuestNbdPort);
        },
        guest.command_timeout(), "nbd-server in the guest listening"));
    auto connected = guest.run(nbd_connect_argv("127.0.0.1", kGuestNbdPort, "/dev/nbd0"));
    if (!connected) return connected.error();
    return Attached{"/dev/nbd0", ""};
  }

  std::vector<std::filesystem::path> exports() const override {
    if (disk_.empty()) return {};
    return {disk_};
  }
  std::vector<Server*> servers() override { return {}; }
  std::string describe() const override {
    return storage_.server_io_flusher ? "nbd-server in the guest (IO_FLUSHER)"
                                      : "nbd-server in the guest";
  }
  Status stop() override { return ok_status(); }

 private:
  const config::StorageConfig storage_;
  std::filesystem::path disk_;
};

std::vector<config::FaultNeed> capabilities(const config::StorageConfig&) { return {}; }

// The server runs inside the guest: it is Debian's nbd-server, copied into the image.
Status validate(const config::Scenario& s) {
  return no_server_binary(s, "transport = \"nbd-loopback\" runs nbd-server inside the guest");
}

}  // namespace

const TransportEntry& nbd_loopback_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNbdLoopback,
                                    .file_transport = false,
                                    .mirrors = false,
                                    .servers = {"nbd-server"},
                                    .capabilities = capabilities,
                                    .validate = validate,
                                    .make = make_transport<NbdLoopbackTransport>,
                                    .kconfig_fragment = "nbd"};
  return entry;
}

}  // namespace wedge::storage
