// transport = "nfs-loopback": the guest's own kernel NFS server (knfsd, knfsd.h) exports an
// ext4 on the guest's virtio disk, and the same guest's NFS client mounts it from 127.0.0.1 at
// /mnt/wedge: writeback through the mount needs nfsd, and nfsd needs memory to write (the
// known deadlock class of loopback NFS mounts under memory pressure). With use = "swap" the
// swap file is written on the server's ext4 before the export, then swapped to through NFS.
#include "harness/storage/guest_driver.h"
#include "harness/storage/knfsd.h"
#include "harness/storage/nfs_mount.h"
#include "harness/storage/transport.h"
#include "harness/storage/transport_checks.h"
#include "harness/util/files.h"

namespace wedge::storage {

namespace {

constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kSwapFileName = "swapfile";
// The client side: the kernel's NFSv4 client, as transport = "nfs" asks for it.
const Driver kNfsv4{"nfsv4", {}, {{"/proc/filesystems", "nfs4"}}};

class NfsLoopbackTransport final : public Transport {
 public:
  explicit NfsLoopbackTransport(const config::Scenario& scenario) : storage_(scenario.storage) {}

  ImageNeeds image_needs() const override {
    std::vector<Driver> drivers = knfsd_drivers();
    drivers.push_back(kNfsv4);
    return {knfsd_tools(), drivers, {}};
  }

  Status start_host(const TransportContext& context) override {
    disk_ = context.run_dir / "export.img";
    return create_sparse_file(disk_, static_cast<uint64_t>(knfsd_disk_mib(storage_.size_mib))
                                         << 20);
  }

  void adjust_vm(vm::VmSpec& spec) const override { spec.disks.push_back(disk_); }

  Result<Attached> attach(GuestOps& guest) override {
    const KnfsdConfig server;
    WEDGE_CHECK(prepare_knfsd_disk(guest, server));
    std::string swap_file;
    if (storage_.use == config::StorageUse::kSwap) {
      WEDGE_CHECK(
          write_swap_file(guest, server.export_root + "/" + kSwapFileName, storage_.size_mib));
      swap_file = std::string(config::kGuestMountPoint) + "/" + kSwapFileName;
    }
    WEDGE_TRY(KnfsdExport exported, start_knfsd(guest, server));
    WEDGE_CHECK(ensure_driver(guest, kNfsv4));
    if (auto made = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !made) {
      return made.error();
    }
    NfsMount m{server.client_address, server.port, exported.client_path, config::kGuestMountPoint,
               storage_.mount_options};
    guest.say(fmt::format("guest: mounting {} at {}", nfs_mount_source(m), m.mount_point));
    if (auto mounted = guest.run(nfs_mount_argv(kBusybox, m)); !mounted) {
      return mounted.error().context(fmt::format("mounting {}", nfs_mount_source(m)));
    }
    return Attached{"", config::kGuestMountPoint, swap_file};
  }

  std::vector<std::filesystem::path> exports() const override {
    if (disk_.empty()) return {};
    return {disk_};
  }
  std::vector<Server*> servers() override { return {}; }
  std::string describe() const override { return "knfsd in the guest (loopback NFSv4.1)"; }
  Status stop() override { return ok_status(); }

 private:
  const config::StorageConfig storage_;
  std::filesystem::path disk_;
};

std::vector<config::FaultNeed> capabilities(const config::StorageConfig&) { return {}; }

Status validate(const config::Scenario& s) {
  return no_server_binary(
      s, "transport = \"nfs-loopback\" runs the guest's own kernel NFS server (knfsd)");
}

}  // namespace

const TransportEntry& nfs_loopback_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNfsLoopback,
                                    .file_transport = true,
                                    .mirrors = false,
                                    .servers = {"knfsd"},
                                    .capabilities = capabilities,
                                    .validate = validate,
                                    .make = make_transport<NfsLoopbackTransport>,
                                    .kconfig_fragment = "nfsd"};
  return entry;
}

}  // namespace wedge::storage
