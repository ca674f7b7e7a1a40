// An iSCSI target on the host: tgtd (the Linux SCSI target framework, userspace) behind a
// TcpRelay, exporting one sparse file as LUN 1 of one target, with its own control channel.
//
//   storage::TgtdServerOptions options{.export_file = dir / "export.img", .size_bytes = 1 << 30,
//                                      .work_dir = dir, .target = "iqn.2025-01.io.wedge:export-0"};
//   WEDGE_TRY(auto tgtd, storage::TgtdServer::start(options, timeouts.server_start));
//   tgtd->guest_port();   // the guest logs in to 10.0.2.2:PORT, target options.target
//   WEDGE_CHECK(tgtd->signal(SIGSTOP));
//   WEDGE_CHECK(tgtd->restart(timeouts.server_start));  // same target, LUN and relay port
//
// tgtd ignores SIGTERM: before it is stopped, tgtadm deletes the target (--force, the guest
// may still be logged in) and then the "system", which makes tgtd exit. tgtd and tgtadm run
// as the storage servers' unprivileged user (server_user.h; tgtd answers only a tgtadm of its
// own user), the control socket in a wedge temp folder of that user's, named through
// $TGT_IPC_SOCKET: socket.<N>, N derived from the portal port.
//
// Like every ChildProcess, tgtd gets SIGKILL when the *thread* that started it exits
// (PR_SET_PDEATHSIG): call start() from a thread that lives as long as the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/storage/relayed_daemon.h"
#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct TgtdServerOptions {
  std::string binary;                 // tgtd to run; empty: tgtd on PATH
  std::filesystem::path export_file;  // created sparse (or resized) to size_bytes
  uint64_t size_bytes = 0;
  std::filesystem::path work_dir;  // tgtd.log goes here; tgtd runs in it
  std::string target;              // the target's IQN
};

// tgtd's control channel number for a daemon whose portal listens on `port`: 1..32767, the
// range tgtd -C accepts.
[[nodiscard]] int tgtd_control_number(int port);

// tgtd in the foreground, its portal on 127.0.0.1:port.
[[nodiscard]] std::vector<std::string> tgtd_argv(const std::string& tgtd, int port);

// The tgtadm commands that create the target with the file as LUN 1, open to every initiator.
[[nodiscard]] std::vector<std::vector<std::string>> tgtadm_setup_argvs(
    const std::string& tgtadm, int control, const std::string& target,
    const std::filesystem::path& export_file);

// The tgtadm commands that delete the target (logged-in initiators or not), then make tgtd exit.
[[nodiscard]] std::vector<std::vector<std::string>> tgtadm_teardown_argvs(const std::string& tgtadm,
                                                                          int control);

class TgtdServer final : public RelayedDaemon {
 public:
  // Creates the export file, starts tgtd on a free loopback port, configures the target once it
  // listens (at most timeout), then puts a relay in front of it.
  [[nodiscard]] static Result<std::unique_ptr<TgtdServer>> start(const TgtdServerOptions& options,
                                                                 std::chrono::milliseconds timeout);
  ~TgtdServer() override;  // stop()
  // Stops tgtd and removes its control folder (socket and lock file).
  [[nodiscard]] Status stop() override;
  [[nodiscard]] const std::string& target() const { return options_.target; }
  // tgtd's control socket ("<temp folder>/socket.<N>"), while the server is up.
  [[nodiscard]] std::filesystem::path control_socket() const;

 private:
  TgtdServer(Parts parts, std::string description, TgtdServerOptions options, TempDir control_dir)
      : RelayedDaemon(std::move(parts), std::move(description)),
        options_(std::move(options)),
        control_dir_(std::move(control_dir)) {}

  const TgtdServerOptions options_;
  std::optional<TempDir> control_dir_;  // tgtd's control socket and lock file
};

}  // namespace wedge::storage
