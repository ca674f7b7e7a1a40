// Implementation of nfs_mount.h.
#include "harness/storage/nfs_mount.h"

#include <fmt/format.h>

namespace wedge::storage {

std::string nfs_mount_source(const NfsMount& m) {
  return fmt::format("{}:{}", m.server_address, m.export_path);
}

std::string nfs_mount_options(const NfsMount& m) {
  std::string options = fmt::format("vers=4.1,proto=tcp,port={},addr={},clientaddr={}", m.port,
                                    m.server_address, kGuestAddress);
  if (!m.extra_options.empty()) options += "," + m.extra_options;
  return options;
}

std::vector<std::string> nfs_mount_argv(const std::string& busybox, const NfsMount& m) {
  return {busybox,      "mount", "-t", "nfs4", "-o", nfs_mount_options(m), nfs_mount_source(m),
          m.mount_point};
}

}  // namespace wedge::storage
