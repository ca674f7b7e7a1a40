// Implementation of guest_use.h.
#include "harness/storage/guest_use.h"

#include "harness/storage/guest_driver.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace {

using config::StorageUse;

constexpr const char* kBusybox = "/bin/busybox";

// mkfs program and its "overwrite whatever is there" flag, per filesystem, and the driver
// that mounts it (shown in /proc/filesystems once present).
struct Mkfs {
  const char* tool;
  std::vector<std::string> args;
  Driver driver;
};

Mkfs mkfs_for(const std::string& fs) {
  if (fs == "xfs") return {"mkfs.xfs", {"-f", "-q"}, {"xfs", {}, {{"/proc/filesystems", fs}}}};
  if (fs == "btrfs") {
    return {"mkfs.btrfs", {"-f", "-q"}, {"btrfs", {}, {{"/proc/filesystems", fs}}}};
  }
  // ext4's driver serves ext2 as well (CONFIG_EXT4_USE_FOR_EXT2, as Debian builds it).
  return {"mke2fs", {"-t", fs, "-F", "-q"}, {"ext4", {}, {{"/proc/filesystems", fs}}}};
}

Status run(GuestOps& guest, const std::vector<std::string>& argv) {
  auto r = guest.run(argv);
  if (!r) return r.error();
  return ok_status();
}

Status swap_on(GuestOps& guest, const std::string& what) {
  WEDGE_CHECK(run(guest, {kBusybox, "mkswap", what}));
  return run(guest, {kBusybox, "swapon", what});
}

// A swap file the kernel accepts: fully written (no holes: swapon refuses sparse files, and
// NFSv4.1 has no fallocate), mode 0600.
Status make_swap_file(GuestOps& guest, const std::string& path, int mib) {
  WEDGE_CHECK(run(guest, {kBusybox, "dd", "if=/dev/zero", "of=" + path, "bs=1048576",
                          "count=" + std::to_string(mib)}));
  WEDGE_CHECK(run(guest, {kBusybox, "chmod", "600", path}));
  return run(guest, {kBusybox, "sync"});
}

}  // namespace

ImageNeeds use_image_needs(const config::StorageConfig& storage, bool file_transport) {
  ImageNeeds needs;
  if (storage.use != StorageUse::kFs || file_transport) return needs;
  Mkfs mkfs = mkfs_for(storage.fs);
  needs.tools.push_back(mkfs.tool);
  needs.drivers.push_back(mkfs.driver);
  return needs;
}

Result<InUse> put_to_use(GuestOps& guest, const Attached& attached,
                         const config::StorageConfig& storage) {
  InUse in_use{attached.device, attached.mount_point, ""};
  switch (storage.use) {
    case StorageUse::kDevice:
      if (attached.device.empty()) return make_error("use = \"device\": no block device");
      return in_use;
    case StorageUse::kSwap:
      if (!attached.device.empty()) {
        in_use.swap = attached.device;
      } else if (!attached.swap_file.empty()) {
        in_use.swap = attached.swap_file;
      } else {
        in_use.swap = attached.mount_point + "/swapfile";
        guest.say(
            fmt::format("guest: writing a {} MiB swap file {}", storage.size_mib, in_use.swap));
        WEDGE_CHECK(make_swap_file(guest, in_use.swap, storage.size_mib));
      }
      WEDGE_CHECK(swap_on(guest, in_use.swap).context("enabling swap"));
      return in_use;
    case StorageUse::kFs: {
      if (attached.device.empty()) return in_use;  // the transport mounted it already
      Mkfs mkfs = mkfs_for(storage.fs);
      WEDGE_CHECK(ensure_driver(guest, mkfs.driver));
      WEDGE_TRY(auto tool, find_executable(mkfs.tool));
      std::vector<std::string> argv = {tool.string()};
      argv.insert(argv.end(), mkfs.args.begin(), mkfs.args.end());
      argv.push_back(attached.device);
      WEDGE_CHECK(
          run(guest, argv).context(fmt::format("making {} on {}", storage.fs, attached.device)));
      WEDGE_CHECK(run(guest, {kBusybox, "mkdir", "-p", config::kGuestMountPoint}));
      std::vector<std::string> mount = {kBusybox, "mount", "-t", storage.fs};
      if (!storage.mount_options.empty()) {
        mount.push_back("-o");
        mount.push_back(storage.mount_options);
      }
      mount.push_back(attached.device);
      mount.push_back(config::kGuestMountPoint);
      WEDGE_CHECK(run(guest, mount).context("mounting"));
      in_use.mount_point = config::kGuestMountPoint;
      return in_use;
    }
  }
  return in_use;
}

}  // namespace wedge::storage
