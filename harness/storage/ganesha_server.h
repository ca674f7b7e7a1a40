// nfs-ganesha (ganesha.nfsd, VFS backend) on the host behind a TcpRelay, serving one run-dir
// folder over NFSv4.1 only, with its config, pid file and recovery dir in the run dir.
//
//   storage::GaneshaOptions o{.work_dir = run_dir, .export_dir = run_dir / "nfs-export"};
//   WEDGE_TRY(auto nfs, storage::GaneshaServer::start(o, timeouts.server_start));
//   nfs->guest_port();    // mount -t nfs4 -o vers=4.1,port=PORT 10.0.2.2:/wedge /mnt/wedge
//   WEDGE_CHECK(nfs->signal(SIGSTOP));
//   WEDGE_CHECK(nfs->restart(timeouts.server_start));   // same folder, port and recovery dir
//
// The server keeps a grace period rather than running graceless: after a restart
// the guest's client reclaims its open swap file from the recovery records in the run dir;
// graceless, the reclaim is refused and the kernel fails swap I/O with EIO. With no records
// (the first start) ganesha lifts grace at once. It runs as root: the VFS backend needs
// CAP_DAC_READ_SEARCH (open_by_handle_at) and the guest's root writes as uid 0.
//
// Never replace a file in the export while the server runs: ganesha keeps serving the deleted
// inode.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/storage/relayed_daemon.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct GaneshaOptions {
  std::string binary;                  // program to run; empty: ganesha.nfsd on PATH
  std::filesystem::path work_dir;      // ganesha.conf, ganesha.pid, ganesha.log, nfs-recovery/
  std::filesystem::path export_dir;    // the folder the guest mounts (created if missing)
  std::string pseudo_path = "/wedge";  // where the export appears in the NFSv4 namespace
  // A client silent longer than the lease loses its state: longer than any stall we inject.
  int lease_s = 60;
  int grace_s = 60;  // after a restart: time to reclaim (lifted early once the client did)
  // The unprivileged user ganesha runs as (start() sets it from server_user.h): every client
  // is squashed to it, so ganesha never needs to act as another user; unset: root, no squash.
  std::optional<std::pair<uid_t, gid_t>> squash_to;
};

// ganesha.conf for a server on 127.0.0.1:port (NFSv4.1, TCP, VFS). Pure, for tests.
//   ganesha_config(options, 20049)   // "NFS_CORE_PARAM {\n  Protocols = 4;\n  NFS_Port = ..."
[[nodiscard]] Result<std::string> ganesha_config(const GaneshaOptions& options, int port);

// The daemon's argv: foreground, our config, log to stderr (collected in ganesha.log).
//   ganesha_argv("/usr/bin/ganesha.nfsd", dir)   // {"/usr/bin/ganesha.nfsd", "-F", "-f", ...}
[[nodiscard]] std::vector<std::string> ganesha_argv(const std::filesystem::path& exe,
                                                    const std::filesystem::path& work_dir);

// "NFS-Ganesha Release = V4.3" -> "nfs-ganesha 4.3".
[[nodiscard]] Result<std::string> ganesha_version(std::string_view version_output);

class GaneshaServer final : public RelayedDaemon {
 public:
  // Creates the export and recovery folders, writes the config, starts ganesha on a free
  // loopback port, waits until it listens (at most timeout) and puts a relay in front.
  [[nodiscard]] static Result<std::unique_ptr<GaneshaServer>> start(
      const GaneshaOptions& options, std::chrono::milliseconds timeout);
  // The export's NFSv4 path ("/wedge"): the guest mounts 10.0.2.2:<pseudo_path>.
  [[nodiscard]] const std::string& pseudo_path() const { return options_.pseudo_path; }
  [[nodiscard]] const std::filesystem::path& export_dir() const { return options_.export_dir; }

 private:
  GaneshaServer(Parts parts, std::string description, GaneshaOptions options)
      : RelayedDaemon(std::move(parts), std::move(description)), options_(std::move(options)) {}

  const GaneshaOptions options_;
};

}  // namespace wedge::storage
