// An NBD server on the host (Debian's nbd-server or nbdkit's file plugin) behind a TcpRelay,
// exporting one sparse file. The server is our child in its own process group, so a fault can
// freeze it whole (signal(SIGSTOP)) and it dies with wedge.
//
//   storage::NbdServerOptions options{.flavour = "nbdkit", .export_file = dir / "swap.img",
//                                     .size_bytes = 1 << 30, .work_dir = dir};
//   WEDGE_TRY(auto nbd, storage::NbdServer::start(options, timeouts.server_start));
//   nbd->guest_port();              // the guest runs nbd-client 10.0.2.2 PORT -N wedge
//   WEDGE_CHECK(nbd->signal(SIGSTOP));
//   WEDGE_CHECK(nbd->kill());                 // a crash: the relay stays, the guest's dials fail
//   WEDGE_CHECK(nbd->restart(timeouts.server_start));  // same export, name and relay port
//
// Signals, kill, restart and stop come from RelayedDaemon (one SupervisedDaemon behind a relay).
//
// nbd-server 3.24 has no "foreground, many clients" mode: without -d it daemon()s out of our
// process group (and nothing here would reap it), with -d it stays our child but serves one
// connection and then exits (handle_modern_connection runs the session inline, then exit()).
// We use -d and start the next nbd-server whenever one ends its session (an exit, or SIGPIPE
// when the client vanished mid-reply; never after SIGKILL or a crash, which must stay visible),
// so it keeps serving new connections, one at a time: a connection made during another session
// waits in the listen backlog and is reset when that session's process exits. The relay dials
// such a connection again (it was reset before a byte), so the client reaches the next process.
// Use nbdkit when a guest needs several connections at once (nbd-client -C N).
//
// Like every ChildProcess, the server gets SIGKILL when the *thread* that started it exits
// (PR_SET_PDEATHSIG): call start() from a thread that lives as long as the server.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness/storage/relayed_daemon.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct NbdServerOptions {
  std::string flavour = "nbd-server";  // or "nbdkit"
  std::string binary;                  // program to run; empty: the flavour's name on PATH
  std::filesystem::path export_file;   // created sparse (or resized) to size_bytes
  uint64_t size_bytes = 0;
  std::filesystem::path work_dir;     // config and <flavour>.log go here
  std::string export_name = "wedge";  // letters, digits, '.', '_', '-'
  // nbdkit only: filters in order (--filter=NAME, e.g. "delay", "error", "pause", "rate"),
  // and key=value parameters for them and the file plugin ("delay-read=1s").
  std::vector<std::string> nbdkit_filters;
  std::vector<std::string> nbdkit_params;
  // nbdkit only: where the filters' run-time controls are (for fault injectors).
  NbdkitControls controls;
};

class NbdServer final : public RelayedDaemon {
 public:
  // Creates the export file, starts the server on a free loopback port, waits until it
  // listens (at most timeout), then puts a relay in front of it.
  [[nodiscard]] static Result<std::unique_ptr<NbdServer>> start(const NbdServerOptions& options,
                                                                std::chrono::milliseconds timeout);
  [[nodiscard]] const NbdkitControls* nbdkit_controls() const override {
    return options_.flavour == "nbdkit" ? &options_.controls : nullptr;
  }
  // nbd-server: how many times a new process was started after one ended its session.
  [[nodiscard]] uint64_t respawns() { return daemon().respawns(); }
  // How many times restart() started the server again.
  [[nodiscard]] uint64_t restarts() { return daemon().restarts(); }
  [[nodiscard]] const std::string& flavour() const { return options_.flavour; }

 private:
  NbdServer(Parts parts, std::string description, NbdServerOptions options)
      : RelayedDaemon(std::move(parts), std::move(description)), options_(std::move(options)) {}

  const NbdServerOptions options_;
};

}  // namespace wedge::storage
