// The kernel NFS server (knfsd) set up inside a guest through GuestOps alone: no rpc.mountd,
// no exportfs, no rpcbind. A virtio disk gets ext4 and is mounted; nfsd serves NFSv4.1 only
// over TCP with short grace and lease times, and the export table is written straight into
// the kernel's export caches (the channels rpc.mountd would answer upcalls through) with a far
// expiry, as a v4 pseudo-root (fsid=0) export. The channel lines are pure functions, for tests.
//
//   storage::KnfsdConfig k;   // /dev/vda on /srv/nfs, for 127.0.0.1, 8 threads on TCP 2049
//   WEDGE_CHECK(storage::prepare_knfsd_disk(guest, k));   // drivers, mke2fs, mount
//   // ... files the server's fs should hold before it is exported (a swap file) ...
//   WEDGE_TRY(storage::KnfsdExport e, storage::start_knfsd(guest, k));
//   // the client mounts e.client_path ("/") from k.client_address, port k.port
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/storage/driver.h"
#include "harness/storage/guest_ops.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct KnfsdConfig {
  std::string device = "/dev/vda";           // the disk that holds the exported filesystem
  std::string export_root = "/srv/nfs";      // where the server's ext4 is mounted (and exported)
  std::string client_address = "127.0.0.1";  // the one client the export table admits
  int port = 2049;
  int threads = 8;
  // NFSv4 grace and lease (seconds): 10 instead of 90, or every OPEN waits out the grace.
  int grace_s = 10;
  int lease_s = 10;
};

// What the client mounts once start_knfsd returned.
struct KnfsdExport {
  std::string server_root;  // the exported folder in the server's own tree ("/srv/nfs")
  std::string client_path;  // its NFSv4 path: "/" (the fsid=0 pseudo-root)
};

// The export cache's auth domain the client's address maps to.
inline constexpr const char* kKnfsdDomain = "wedge";
// rpc.mountd's "never expires": 2^31 - 1 seconds since the epoch (2038), read as a time by
// get_expiry (include/linux/sunrpc/cache.h).
inline constexpr int64_t kKnfsdNeverExpires = 2147483647;
// Export flags (include/uapi/linux/nfsd/export.h): NFSEXP_INSECURE_PORT | NFSEXP_NOSUBTREECHECK
// | NFSEXP_FSID: read-write, synchronous, root not squashed, the fsid given by number (0).
inline constexpr int kKnfsdExportFlags = 0x0002 | 0x0400 | 0x2000;
// nfsd's fsid type for a number fsid (FSID_NUM in fs/nfsd/nfsfh.h): a 4-byte key.
inline constexpr int kKnfsdFsidNum = 1;

// A word as the sunrpc cache channels read it (qword_get): bytes other than visible ASCII,
// and the backslash, as \ooo octal. cache_word("/srv/my nfs") == "/srv/my\\040nfs".
[[nodiscard]] std::string cache_word(std::string_view word);

// /proc/net/rpc/auth.unix.ip/channel (ip_map_parse: class address expiry domain):
// ip_map_line("127.0.0.1", "wedge", 2147483647) == "nfsd 127.0.0.1 2147483647 wedge\n".
[[nodiscard]] std::string ip_map_line(std::string_view address, std::string_view domain,
                                      int64_t expiry);

// /proc/net/rpc/nfsd.export/channel (svc_export_parse: client path expiry flags anonuid
// anongid fsid), read-write with fsid=0 and nobody (65534) as the anonymous user:
// export_line("wedge", "/srv/nfs", E) == "wedge /srv/nfs E 9218 65534 65534 0\n".
[[nodiscard]] std::string export_line(std::string_view domain, std::string_view path,
                                      int64_t expiry);

// /proc/net/rpc/nfsd.fh/channel (expkey_parse: client fsidtype fsid expiry path), the key
// NFSv4's PUTROOTFH looks up (fsid number 0, four zero bytes in hex):
// fsid_zero_key_line("wedge", "/srv/nfs", E) == "wedge 1 \\x00000000 E /srv/nfs\n".
[[nodiscard]] std::string fsid_zero_key_line(std::string_view domain, std::string_view path,
                                             int64_t expiry);

// /proc/fs/nfsd/versions before any thread starts (__write_versions): NFSv4.1 alone.
[[nodiscard]] std::string knfsd_versions_line();

// /proc/fs/nfsd/portlist (__write_ports_addxprt): "tcp 2049\n". Written before the threads,
// so nfsd opens no UDP socket of its own.
[[nodiscard]] std::string knfsd_portlist_line(int port);

// The drivers the server side needs: the guest's disk, ext4 for the export, nfsd.
[[nodiscard]] std::vector<Driver> knfsd_drivers();
// The tools it runs besides busybox: mke2fs.
[[nodiscard]] std::vector<std::string> knfsd_tools();

// One file written in the server setup: where and what, in order (pure, for tests).
struct KnfsdWrite {
  std::string step;  // what it does, for errors: "setting NFSv4 lease time"
  std::string path;
  std::string data;
};
// The writes start_knfsd makes after mounting the nfsd filesystem, in order: versions, grace
// and lease, the three export cache entries, the port, then the threads.
[[nodiscard]] std::vector<KnfsdWrite> knfsd_writes(const KnfsdConfig& config);

// Loads the disk, ext4 and nfsd drivers, makes ext4 on config.device and mounts it at
// config.export_root. Each failure names its step.
[[nodiscard]] Status prepare_knfsd_disk(GuestOps& guest, const KnfsdConfig& config);

// The size of the disk knfsd exports for size_mib of data (a swap file, the workload's files):
// ext4's own journal, inode tables and reserved blocks on top (about 7% of a few hundred MiB).
[[nodiscard]] inline int knfsd_disk_mib(int size_mib) {
  return size_mib + (size_mib / 8 > 64 ? size_mib / 8 : 64);
}

// A swap file written in full (dd from /dev/zero, mode 600, synced) on the server's own ext4
// before it is exported: swapon refuses a file with holes, and writing it through NFS would
// take the round trips for nothing. Failures name the file.
[[nodiscard]] Status write_swap_file(GuestOps& guest, const std::string& path, int mib);

// Mounts the nfsd filesystem, makes the writes of knfsd_writes, waits until nfsd listens on
// the TCP port, then ends the grace period (no client has state to reclaim from a server that
// never ran). Each failure names its step.
[[nodiscard]] Result<KnfsdExport> start_knfsd(GuestOps& guest, const KnfsdConfig& config);

}  // namespace wedge::storage
