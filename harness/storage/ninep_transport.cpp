// transport = "9p": a folder in the run directory shared with the guest over virtio-9p (libvirt
// <filesystem accessmode='passthrough'>), mounted at /mnt/wedge. No host server: QEMU itself
// serves it, so only faults that act on the guest (balloon, memory-max) apply.
#include <sys/stat.h>

#include <cerrno>

#include "harness/storage/guest_driver.h"
#include "harness/storage/transport.h"

namespace wedge::storage {

namespace {

namespace fs = std::filesystem;

constexpr const char* kBusybox = "/bin/busybox";
// The run directory's shared folder (removed after the run unless --keep-export).
constexpr const char* kShareDir = "9p-share";
constexpr const char* kMountTag = "wedge";
// The virtio transport of 9p, then the filesystem.
const Driver kNinepVirtio{"9pnet_virtio", {}, {{"/sys/bus/virtio/drivers", "9pnet_virtio"}}};
const Driver kNinep{"9p", {}, {{"/proc/filesystems", "9p"}}};

class NinepTransport final : public Transport {
 public:
  explicit NinepTransport(const config::Scenario& scenario) : storage_(scenario.storage) {}

  ImageNeeds image_needs() const override { return {{}, {kNinepVirtio, kNinep}, {}}; }

  Status start_host(const TransportContext& context) override {
    // libvirt wants an absolute path; QEMU (root here) serves it with the guest's uids.
    share_ = fs::absolute(context.run_dir / kShareDir);
    std::error_code ec;
    fs::create_directories(share_, ec);
    if (ec) return make_error("creating {}: {}", share_.string(), ec.message());
    if (::chmod(share_.c_str(), 0755) != 0) return errno_error("chmod " + share_.string(), errno);
    return ok_status();
  }

  void adjust_vm(vm::VmSpec& spec) const override {
    spec.shared_folders.push_back({share_, kMountTag});
  }

  Result<Attached> attach(GuestOps& guest) override {
    for (const Driver& driver : {kNinepVirtio, kNinep}) {
      if (auto r = ensure_driver(guest, driver); !r) {
        return r.error().context(fmt::format(
            "loading {} (the kernel needs CONFIG_NET_9P_VIRTIO and CONFIG_9P_FS)", driver.module));
      }
    }
    if (auto r = guest.run({kBusybox, "mkdir", "-p", config::kGuestMountPoint}); !r) {
      return r.error();
    }
    guest.say(fmt::format("guest: mounting 9p {} at {} (host {})", kMountTag,
                          config::kGuestMountPoint, share_.string()));
    auto mounted = guest.run({kBusybox, "mount", "-t", "9p", "-o", mount_options(storage_),
                              kMountTag, config::kGuestMountPoint});
    if (!mounted) return mounted.error().context("mounting 9p");
    return Attached{"", config::kGuestMountPoint};
  }

  std::vector<fs::path> exports() const override {
    if (share_.empty()) return {};
    return {share_};
  }
  std::vector<Server*> servers() override { return {}; }
  std::string describe() const override { return "9p (virtio, no server)"; }
  Status stop() override { return ok_status(); }

  static std::string mount_options(const config::StorageConfig& storage) {
    std::string options = "trans=virtio,version=9p2000.L";
    if (!storage.mount_options.empty()) options += "," + storage.mount_options;
    return options;
  }

 private:
  const config::StorageConfig storage_;
  fs::path share_;
};

std::vector<config::FaultNeed> capabilities(const config::StorageConfig&) { return {}; }

Status validate(const config::Scenario& s) {
  const std::string at = fmt::format("{}:{}", s.source.string(), s.storage.line);
  if (s.storage.use == config::StorageUse::kSwap) {
    return make_error(
        "{}: [storage] use = \"swap\": transport = \"9p\" cannot hold swap (9p files have no "
        "block mapping for the swap code, so swapon refuses them); use \"fs\"",
        at);
  }
  if (s.guest.kernel == "default") {
    return make_error(
        "{}: [storage] transport = \"9p\" needs a kernel with 9p, and the default Debian cloud "
        "kernel has none (CONFIG_NET_9P unset): set [guest] kernel = \"debian-amd64\" (or a "
        "bzImage built with CONFIG_9P_FS and CONFIG_NET_9P_VIRTIO)",
        at);
  }
  return ok_status();
}

}  // namespace

const TransportEntry& ninep_transport() {
  static const TransportEntry entry{.kind = config::TransportKind::kNinep,
                                    .file_transport = true,
                                    .mirrors = false,
                                    .servers = {},
                                    .capabilities = capabilities,
                                    .validate = validate,
                                    .make = make_transport<NinepTransport>,
                                    .kconfig_fragment = "9p"};
  return entry;
}

}  // namespace wedge::storage
