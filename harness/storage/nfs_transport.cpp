// transport = "nfs": a run-dir folder served by nfs-ganesha (NFSv4.1) behind wedge's relay; the
// guest's kernel mounts it at /mnt/wedge through mount(2) text options (no mount.nfs).
#include "harness/storage/ganesha_server.h"
#include "harness/storage/guest_driver.h"
#include "harness/storage/nfs_mount.h"
#include "harness/storage/transport.h"
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

class NfsTransport final : public Transport {
 public:
  explicit NfsTransport(const config::Scenario& scenario) : storage_(scenario.storage) {}
  ~NfsTransport() override { (void)stop(); }

  ImageNeeds image_needs() const override { return {{}, {kNfsv4}, {}}; }

  Status start_host(const TransportContext& context) override {
    GaneshaOptions o;
    o.binary = storage_.server_binary;
    o.work_dir = context.run_dir;
    o.export_dir = context.run_dir / kExportDirName;
    export_dir_ = o.export_dir;
    if (storage_.use == config::StorageUse::kSwap) WEDGE_CHECK(make_swap_file(o.export_dir));
    WEDGE_TRY(server_, GaneshaServer::start(o, context.timeouts.server_start));
    return ok_status();
  }

  void adjust_vm(vm::VmSpec& spec) const override {
    if (server_) spec.host_ports.push_back(server_->guest_port());
  }

  Result<Attached> attach(GuestOps& guest) override {
    if (!server_) return make_error("nfs: the host server was not started");
    WEDGE_CHECK(ensure_driver(guest, kNfsv4));
    if (auto made = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !made)
      return made.error();
    NfsMount m{kGuestHostAddress, server_->guest_port(), server_->pseudo_path(),
               config::kGuestMountPoint, storage_.mount_options};
    guest.say(fmt::format("guest: mounting {} at {}", nfs_mount_source(m), m.mount_point));
    if (auto mounted = guest.run(nfs_mount_argv(kBusybox, m)); !mounted) {
      return mounted.error().context(fmt::format("mounting {}", nfs_mount_source(m)));
    }
    Attached attached{"", config::kGuestMountPoint};
    if (swap_file_made_) attached.swap_file = attached.mount_point + "/" + kSwapFileName;
    return attached;
  }

  std::vector<Server*> servers() override {
    if (!server_) return {};
    return {server_.get()};
  }
  std::string describe() const override { return server_ ? server_->describe() : "nfs-ganesha"; }

  // The export folder (with a swap file as large as size_mib); the runner removes it after
  // stop() (ganesha gone: it would serve deleted inodes) unless the run keeps its export.
  std::vector<std::filesystem::path> exports() const override {
    if (export_dir_.empty()) return {};
    return {export_dir_};
  }
  std::vector<std::string> host_programs() const override { return {"ganesha.nfsd"}; }
  Status stop() override {
    if (!server_) return ok_status();
    Status stopped = server_->stop();
    server_.reset();
    return stopped;
  }

 private:
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
  std::filesystem::path export_dir_;
  bool swap_file_made_ = false;
  std::unique_ptr<GaneshaServer> server_;
};

std::vector<FaultNeed> capabilities(const config::StorageConfig&) {
  return {FaultNeed::kRelay, FaultNeed::kServerProcess};
}

}  // namespace

const TransportEntry& nfs_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNfs,
                                    .file_transport = true,
                                    .mirrors = false,
                                    .servers = {"nfs-ganesha", "ganesha"},
                                    .capabilities = capabilities,
                                    .make = make_transport<NfsTransport>,
                                    .kconfig_fragment = "nfs"};
  return entry;
}

}  // namespace wedge::storage
