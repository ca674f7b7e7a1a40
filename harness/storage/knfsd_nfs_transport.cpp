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

class KnfsdNfsTransport final : public Transport {
 public:
  explicit KnfsdNfsTransport(const config::Scenario& scenario) : storage_(scenario.storage) {}
  ~KnfsdNfsTransport() override { (void)stop(); }

  // The same image boots both guests: the server's knfsd and ext4, the client's NFS.
  ImageNeeds image_needs() const override {
    std::vector<Driver> drivers = knfsd_drivers();
    drivers.push_back(kNfsv4);
    return {knfsd_tools(), drivers, {}};
  }

  Status start_host(const TransportContext& context) override {
    GuestServedOptions o{.export_index = 0,
                         .size_mib = knfsd_disk_mib(storage_.size_mib),
                         .memory_mib = storage_.server_memory_mib,
                         .port = server_.port,
                         .what = "knfsd"};
    WEDGE_TRY(
        guest_server_, start_guest_served(context, o, &disk_, [this](GuestOps& ops) -> Status {
          WEDGE_CHECK(prepare_knfsd_disk(ops, server_));
          if (storage_.use == config::StorageUse::kSwap) {
            WEDGE_CHECK(
                write_swap_file(ops, server_.export_root + "/" + kSwapFileName, storage_.size_mib));
          }
          WEDGE_TRY(exported_, start_knfsd(ops, server_));
          return ok_status();
        }));
    return ok_status();
  }

  void adjust_vm(vm::VmSpec& spec) const override {
    if (guest_server_) spec.host_ports.push_back(guest_server_->guest_port());
  }

  Result<Attached> attach(GuestOps& guest) override {
    if (!guest_server_) return make_error("nfs (knfsd): the server guest was not started");
    WEDGE_CHECK(ensure_driver(guest, kNfsv4));
    if (auto made = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !made) {
      return made.error();
    }
    NfsMount m{kGuestHostAddress, guest_server_->guest_port(), exported_.client_path,
               config::kGuestMountPoint, storage_.mount_options};
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

  std::vector<Server*> servers() override {
    if (!guest_server_) return {};
    return {guest_server_.get()};
  }
  std::vector<std::filesystem::path> exports() const override {
    if (disk_.empty()) return {};
    return {disk_};
  }
  std::string describe() const override {
    return guest_server_ ? guest_server_->describe() : "knfsd";
  }
  Status stop() override {
    if (!guest_server_) return ok_status();
    Status s = guest_server_->stop();
    guest_server_.reset();
    return s;
  }

 private:
  const config::StorageConfig storage_;
  // Connections the host forwards into the server guest come from QEMU's host alias.
  const KnfsdConfig server_{.client_address = kGuestHostAddress};
  KnfsdExport exported_;
  std::filesystem::path disk_;
  std::unique_ptr<GuestServer> guest_server_;
};

}  // namespace

std::unique_ptr<Transport> make_knfsd_nfs_transport(const config::Scenario& scenario) {
  return std::make_unique<KnfsdNfsTransport>(scenario);
}

}  // namespace wedge::storage
