// How the guest mounts an NFSv4.1 export without mount.nfs: busybox mount hands the text
// options to mount(2), where the kernel's NFS client parses them itself. Pure, for tests.
//
//   storage::NfsMount m{"10.0.2.2", 40123, "/wedge", "/mnt/wedge", "sync"};
//   guest.run(storage::nfs_mount_argv("/bin/busybox", m));
//   // busybox mount -t nfs4 -o vers=4.1,proto=tcp,port=40123,addr=10.0.2.2,...,sync
//   //   10.0.2.2:/wedge /mnt/wedge
#pragma once

#include <string>
#include <vector>

namespace wedge::storage {

// The guest's own address under user-mode networking (the agent configures eth0 with it).
inline constexpr const char* kGuestAddress = "10.0.2.15";

struct NfsMount {
  std::string server_address;  // an IP address: the kernel does no name lookups here
  int port = 0;
  std::string export_path;  // the export's NFSv4 pseudo path ("/wedge")
  std::string mount_point;
  std::string extra_options;  // [storage] mount_options, appended ("" for none)
};

// "10.0.2.2:/wedge"
[[nodiscard]] std::string nfs_mount_source(const NfsMount& m);
// "vers=4.1,proto=tcp,port=P,addr=A,clientaddr=10.0.2.15[,extra]"
[[nodiscard]] std::string nfs_mount_options(const NfsMount& m);
// {busybox, "mount", "-t", "nfs4", "-o", options, source, mount_point}
[[nodiscard]] std::vector<std::string> nfs_mount_argv(const std::string& busybox,
                                                      const NfsMount& m);

}  // namespace wedge::storage
