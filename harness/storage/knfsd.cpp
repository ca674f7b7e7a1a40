// Implementation of knfsd.h.
#include "harness/storage/knfsd.h"

#include <fmt/format.h>

#include "harness/storage/guest_driver.h"
#include "harness/storage/proc_net_tcp.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace {

constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kNfsdFs = "/proc/fs/nfsd";
constexpr const char* kEndGrace = "/proc/fs/nfsd/v4_end_grace";
// nfs4_recoverydir(): where the legacy client tracking keeps a folder per client.
constexpr const char* kRecoveryDir = "/var/lib/nfs/v4recovery";
// rpc.mountd's anonymous user and group: nobody, nogroup.
constexpr int kAnonId = 65534;

const Driver kVirtioBlk{"virtio_blk", {}, {{"/proc/devices", "virtblk"}}};
const Driver kExt4{"ext4", {}, {{"/proc/filesystems", "ext4"}}};
// modprobe nfsd pulls sunrpc, lockd, grace, auth_rpcgss, nfs_acl and exportfs along; built in,
// it registers the "nfsd" filesystem.
const Driver kNfsd{"nfsd", {}, {{"/proc/filesystems", "nfsd"}}};

Status run_step(GuestOps& guest, const std::vector<std::string>& argv, const std::string& step) {
  auto r = guest.run(argv);
  if (!r) return r.error().context(fmt::format("knfsd: {}", step));
  return ok_status();
}

}  // namespace

std::string cache_word(std::string_view word) {
  std::string out;
  for (char c : word) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte >= 0x7f || c == '\\') {
      out += fmt::format("\\{:03o}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::string ip_map_line(std::string_view address, std::string_view domain, int64_t expiry) {
  return fmt::format("nfsd {} {} {}\n", cache_word(address), expiry, cache_word(domain));
}

std::string export_line(std::string_view domain, std::string_view path, int64_t expiry) {
  return fmt::format("{} {} {} {} {} {} 0\n", cache_word(domain), cache_word(path), expiry,
                     kKnfsdExportFlags, kAnonId, kAnonId);
}

std::string fsid_zero_key_line(std::string_view domain, std::string_view path, int64_t expiry) {
  return fmt::format("{} {} \\x00000000 {} {}\n", cache_word(domain), kKnfsdFsidNum, expiry,
                     cache_word(path));
}

std::string knfsd_versions_line() { return "-2 -3 -4.0 +4.1 -4.2\n"; }

std::string knfsd_portlist_line(int port) { return fmt::format("tcp {}\n", port); }

std::vector<Driver> knfsd_drivers() { return {kVirtioBlk, kExt4, kNfsd}; }

std::vector<std::string> knfsd_tools() { return {"mke2fs"}; }

std::vector<KnfsdWrite> knfsd_writes(const KnfsdConfig& c) {
  const std::string nfsd = kNfsdFs;
  return {
      {"enabling NFSv4.1 only", nfsd + "/versions", knfsd_versions_line()},
      {"setting the NFSv4 grace time", nfsd + "/nfsv4gracetime", fmt::format("{}\n", c.grace_s)},
      {"setting the NFSv4 lease time", nfsd + "/nfsv4leasetime", fmt::format("{}\n", c.lease_s)},
      // The domain first: the export and its key name it, and ip_map_parse creates it.
      {fmt::format("admitting {} (auth.unix.ip)", c.client_address),
       "/proc/net/rpc/auth.unix.ip/channel",
       ip_map_line(c.client_address, kKnfsdDomain, kKnfsdNeverExpires)},
      {fmt::format("exporting {} (nfsd.export)", c.export_root),
       "/proc/net/rpc/nfsd.export/channel",
       export_line(kKnfsdDomain, c.export_root, kKnfsdNeverExpires)},
      {"naming the export fsid 0 (nfsd.fh)", "/proc/net/rpc/nfsd.fh/channel",
       fsid_zero_key_line(kKnfsdDomain, c.export_root, kKnfsdNeverExpires)},
      {fmt::format("listening on TCP {}", c.port), nfsd + "/portlist", knfsd_portlist_line(c.port)},
      {fmt::format("starting {} nfsd threads", c.threads), nfsd + "/threads",
       fmt::format("{}\n", c.threads)},
  };
}

Status prepare_knfsd_disk(GuestOps& guest, const KnfsdConfig& c) {
  for (const Driver& d : knfsd_drivers()) {
    WEDGE_CHECK(ensure_driver(guest, d).context(fmt::format("knfsd: loading {}", d.module)));
  }
  WEDGE_TRY(auto mke2fs, find_executable("mke2fs"));
  // Inode tables and journal written now, not by ext4lazyinit in the middle of the run.
  WEDGE_CHECK(run_step(guest,
                       {mke2fs.string(), "-t", "ext4", "-F", "-q", "-E",
                        "lazy_itable_init=0,lazy_journal_init=0", c.device},
                       fmt::format("making ext4 on {}", c.device)));
  WEDGE_CHECK(run_step(guest, {kBusybox, "mkdir", "-p", c.export_root},
                       fmt::format("creating {}", c.export_root)));
  return run_step(guest, {kBusybox, "mount", "-t", "ext4", c.device, c.export_root},
                  fmt::format("mounting {} at {}", c.device, c.export_root));
}

Result<KnfsdExport> start_knfsd(GuestOps& guest, const KnfsdConfig& c) {
  guest.say(fmt::format("guest: knfsd exporting {} (NFSv4.1, TCP {}) to {}", c.export_root, c.port,
                        c.client_address));
  // Loaded again for a caller that did not prepare the disk here (a ready filesystem).
  WEDGE_CHECK(ensure_driver(guest, kNfsd).context("knfsd: loading nfsd"));
  WEDGE_TRY(std::string mounts, guest.read_file("/proc/mounts", 1 << 20));
  if (mounts.find(fmt::format(" {} nfsd ", kNfsdFs)) == std::string::npos) {
    WEDGE_CHECK(run_step(guest, {kBusybox, "mount", "-t", "nfsd", "nfsd", kNfsdFs},
                         fmt::format("mounting the nfsd filesystem at {}", kNfsdFs)));
  }
  // With a recovery directory, nfsd's legacy client tracking starts (there is no nfsdcld), and
  // a server that tracks clients can be told its grace is over.
  WEDGE_CHECK(run_step(guest, {kBusybox, "mkdir", "-p", kRecoveryDir},
                       fmt::format("creating the NFSv4 recovery directory {}", kRecoveryDir)));
  for (const KnfsdWrite& w : knfsd_writes(c)) {
    WEDGE_CHECK(guest.write_file(w.path, w.data)
                    .context(fmt::format("knfsd: {}: writing {}", w.step, w.path)));
  }
  WEDGE_CHECK(wait_in_guest(
      guest,
      [&]() -> Result<bool> {
        WEDGE_TRY(std::string tcp, guest.read_file("/proc/net/tcp", 1 << 20));
        return tcp_listening(tcp, c.port);
      },
      guest.command_timeout(), fmt::format("knfsd: nfsd listening on TCP {}", c.port)));
  // A fresh server has no client to wait for: every OPEN would wait out the grace otherwise.
  // Not fatal: a kernel that refuses (no client tracking) ends it after grace_s.
  if (auto ended = guest.write_file(kEndGrace, "Y\n"); !ended) {
    guest.say(fmt::format("guest: knfsd: the NFSv4 grace runs its {} s ({})", c.grace_s,
                          ended.error().message()));
  }
  return KnfsdExport{c.export_root, "/"};
}

Status write_swap_file(GuestOps& guest, const std::string& path, int mib) {
  guest.say(fmt::format("guest: writing a {} MiB swap file {}", mib, path));
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"/bin/busybox", "dd", "if=/dev/zero", "of=" + path, "bs=1048576",
                                 "count=" + std::to_string(mib)},
        {"/bin/busybox", "chmod", "600", path},
        {"/bin/busybox", "sync"}}) {
    if (auto r = guest.run(argv); !r) {
      return r.error().context(fmt::format("writing the swap file {}", path));
    }
  }
  return ok_status();
}

}  // namespace wedge::storage
