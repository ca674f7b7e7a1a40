// transport = "nfs": a run-dir folder served by nfs-ganesha (NFSv4.1) behind wedge's relay; the
// guest's kernel mounts it at /mnt/wedge through mount(2) text options (no mount.nfs). With
// server = "knfsd" the kernel's own NFS server in a server guest serves it instead
// (knfsd_nfs_transport.h).
#include "harness/storage/ganesha_server.h"
#include "harness/storage/guest_driver.h"
#include "harness/storage/knfsd_nfs_transport.h"
#include "harness/storage/nfs_mount.h"
#include "harness/storage/served_transport.h"
#include "harness/storage/transport_checks.h"
#include "harness/util/files.h"

namespace wedge::storage {

namespace {

using config::FaultNeed;

constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kExportDirName = "nfs-export";
constexpr const char* kSwapFileName = "swapfile";
// The kernel's NFSv4 client only: modprobe pulls sunrpc, grace, lockd, fscache, netfs, nfs
// and dns_resolver along. Built in, it registers the "nfs4" filesystem.
const Driver kNfsv4{"nfsv4", {}, {{"/proc/filesystems", "nfs4"}}};

class NfsTransport final : public ServedTransport<GaneshaServer> {
 public:
  explicit NfsTransport(const config::Scenario& scenario)
      : ServedTransport("nfs"), storage_(scenario.storage) {}

  ImageNeeds image_needs() const override { return {{}, {kNfsv4}, {}}; }
  std::vector<std::string> host_programs() const override { return {"ganesha.nfsd"}; }

 private:
  // The export folder (with a swap file as large as size_mib); the runner removes it after
  // stop() (ganesha gone: it would serve deleted inodes) unless the run keeps its export.
  std::filesystem::path data_in(const TransportContext& context) const override {
    return context.run_dir / kExportDirName;
  }

  Result<std::unique_ptr<GaneshaServer>> start_server(const TransportContext& context,
                                                      const std::filesystem::path& data) override {
    GaneshaOptions o;
    o.binary = storage_.server_binary;
    o.work_dir = context.run_dir;
    o.export_dir = data;
    if (storage_.use == config::StorageUse::kSwap) WEDGE_CHECK(make_swap_file(o.export_dir));
    return GaneshaServer::start(o, context.timeouts.server_start);
  }

  Result<Attached> attach_to(GuestOps& guest, GaneshaServer& server) override {
    WEDGE_CHECK(ensure_driver(guest, kNfsv4));
    if (auto made = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !made)
      return made.error();
    NfsMount m{kGuestHostAddress, server.guest_port(), server.pseudo_path(),
               config::kGuestMountPoint, storage_.mount_options};
    guest.say(fmt::format("guest: mounting {} at {}", nfs_mount_source(m), m.mount_point));
    if (auto mounted = guest.run(nfs_mount_argv(kBusybox, m)); !mounted) {
      return mounted.error().context(fmt::format("mounting {}", nfs_mount_source(m)));
    }
    Attached attached{"", config::kGuestMountPoint};
    if (swap_file_made_) attached.swap_file = attached.mount_point + "/" + kSwapFileName;
    return attached;
  }

  std::string idle_description() const override { return "nfs-ganesha"; }

  // Allocated on the host before ganesha starts (it must never see the file replaced): the
  // guest writing it over NFS takes minutes under TCG. Allocated, not sparse, so the kernel's
  // swapon finds no holes (it compares the blocks the server reports with the size).
  Status make_swap_file(const std::filesystem::path& export_dir) {
    std::error_code ec;
    std::filesystem::create_directories(export_dir, ec);
    if (ec) return make_error("creating {}: {}", export_dir.string(), ec.message());
    WEDGE_CHECK(create_allocated_file(export_dir / kSwapFileName,
                                      static_cast<uint64_t>(storage_.size_mib) << 20));
    swap_file_made_ = true;
    return ok_status();
  }

  const config::StorageConfig storage_;
  bool swap_file_made_ = false;
};

constexpr const char* kKnfsd = "knfsd";

// knfsd in a server guest: server-stall pauses the guest, server-squeeze balloons it.
std::vector<FaultNeed> capabilities(const config::StorageConfig& storage) {
  if (storage.server == kKnfsd) {
    return {FaultNeed::kRelay, FaultNeed::kServerProcess, FaultNeed::kServerGuest};
  }
  return {FaultNeed::kRelay, FaultNeed::kServerProcess};
}

Status validate(const config::Scenario& s) {
  if (s.storage.server != kKnfsd) return ok_status();
  WEDGE_CHECK(no_kill_or_restart(s, "knfsd"));
  return no_server_binary(s, "server = \"knfsd\" is the kernel's NFS server in a server guest");
}

std::unique_ptr<Transport> make(const config::Scenario& s, int) {
  if (s.storage.server == kKnfsd) return make_knfsd_nfs_transport(s);
  return std::make_unique<NfsTransport>(s);
}

}  // namespace

const TransportEntry& nfs_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNfs,
                                    .file_transport = true,
                                    .mirrors = false,
                                    .servers = {"nfs-ganesha", "ganesha", kKnfsd},
                                    .capabilities = capabilities,
                                    .validate = validate,
                                    .make = make,
                                    .kconfig_fragment = "nfs"};
  return entry;
}

}  // namespace wedge::storage
