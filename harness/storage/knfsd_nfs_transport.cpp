// transport = "nfs" with server = "knfsd": the kernel NFS server in a server guest (knfsd.h,
// guest_served.h) exports an ext4 on its virtio disk, NFSv4.1 over TCP, its port forwarded to
// the host behind wedge's relay; the client's kernel mounts it at /mnt/wedge as it mounts
// ganesha's export. With use = "swap" the swap file is written in full on the server's ext4
// before the export. The nfs transport's entry (nfs_transport.cpp) makes this one when the
// scenario names server = "knfsd".
#include "harness/storage/knfsd_nfs_transport.h"

#include "harness/storage/guest_driver.h"
#include "harness/storage/guest_served.h"
#include "harness/storage/knfsd.h"
#include "harness/storage/nfs_mount.h"

namespace wedge::storage {

namespace {

constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kSwapFileName = "swapfile";
const Driver kNfsv4{"nfsv4", {}, {{"/proc/filesystems", "nfs4"}}};

class KnfsdNfsTransport final : public GuestServedTransport {
 public:
  explicit KnfsdNfsTransport(const config::Scenario& scenario)
      : GuestServedTransport("knfsd"), storage_(scenario.storage) {}

  // The same image boots both guests: the server's knfsd and ext4, the client's NFS.
  ImageNeeds image_needs() const override {
    std::vector<Driver> drivers = knfsd_drivers();
    drivers.push_back(kNfsv4);
    return {knfsd_tools(), drivers, {}};
  }

  Status start_host(const TransportContext& context) override {
    return serve(context,
                 {.export_index = 0,
                  .size_mib = knfsd_disk_mib(storage_.size_mib),
                  .memory_mib = storage_.server_memory_mib,
                  .port = server_.port},
                 [this](GuestOps& ops) -> Status {
                   WEDGE_CHECK(prepare_knfsd_disk(ops, server_));
                   if (storage_.use == config::StorageUse::kSwap) {
                     WEDGE_CHECK(write_swap_file(ops, server_.export_root + "/" + kSwapFileName,
                                                 storage_.size_mib));
                   }
                   WEDGE_TRY(exported_, start_knfsd(ops, server_));
                   return ok_status();
                 });
  }

 private:
  Result<Attached> attach_to(GuestOps& guest, int relay_port) override {
    WEDGE_CHECK(ensure_driver(guest, kNfsv4));
    if (auto made = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !made) {
      return made.error();
    }
    NfsMount m{kGuestHostAddress, relay_port, exported_.client_path, config::kGuestMountPoint,
               storage_.mount_options};
    guest.say(fmt::format("guest: mounting {} at {}", nfs_mount_source(m), m.mount_point));
    if (auto mounted = guest.run(nfs_mount_argv(kBusybox, m)); !mounted) {
      return mounted.error().context(fmt::format("mounting {}", nfs_mount_source(m)));
    }
    Attached attached{"", config::kGuestMountPoint};
    if (storage_.use == config::StorageUse::kSwap) {
      attached.swap_file = attached.mount_point + "/" + kSwapFileName;
    }
    return attached;
  }

  const config::StorageConfig storage_;
  // Connections the host forwards into the server guest come from QEMU's host alias.
  const KnfsdConfig server_{.client_address = kGuestHostAddress};
  KnfsdExport exported_;
};

}  // namespace

std::unique_ptr<Transport> make_knfsd_nfs_transport(const config::Scenario& scenario) {
  return std::make_unique<KnfsdNfsTransport>(scenario);
}

}  // namespace wedge::storage
