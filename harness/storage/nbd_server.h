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
// nbd-server 3.24 has no "foreground, many clients" mode: without -d it daemon()s out of our
// process group (and nothing here would reap it), with -d it stays our child but serves one
// connection and then exits (handle_modern_connection runs the session inline, then exit()).
// We use -d and start the next nbd-server whenever one ends its session (an exit, or SIGPIPE
// when the client vanished mid-reply; never after SIGKILL or a crash, which must stay visible),
// so it keeps serving new connections, one at a time: a client that connects during another
// session waits in the listen backlog and is reset when that session's process exits. Use
// nbdkit when a guest needs several connections at once (nbd-client -C N).
//
// Like every ChildProcess, the server gets SIGKILL when the *thread* that started it exits
// (PR_SET_PDEATHSIG): call start() from a thread that lives as long as the server.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/storage/relay.h"
#include "harness/storage/server.h"
#include "harness/util/process.h"
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
};

class NbdServer final : public Server {
 public:
  // Creates the export file, starts the server on a free loopback port, waits until it
  // listens (at most timeout), then puts a relay in front of it.
  [[nodiscard]] static Result<std::unique_ptr<NbdServer>> start(const NbdServerOptions& options,
                                                                std::chrono::milliseconds timeout);
  ~NbdServer() override;  // stop()
  NbdServer(const NbdServer&) = delete;
  NbdServer& operator=(const NbdServer&) = delete;

  [[nodiscard]] int guest_port() const override { return relay_->port(); }
  // The server process is alive (a SIGSTOPped one counts as alive) and its port listens.
  [[nodiscard]] bool healthy() override;
  [[nodiscard]] ServerStats stats() const override;
  [[nodiscard]] std::string describe() const override { return description_; }
  [[nodiscard]] Status stop() override;

  // Sends sig to the server's whole process group (SIGSTOP/SIGCONT to freeze and thaw it).
  [[nodiscard]] Status signal(int sig);
  // SIGKILLs the server's process group, as a crash would; nothing restarts it until restart().
  // The relay stays up, so the guest's connections fail (or wait) instead of being refused.
  [[nodiscard]] Status kill();
  // Starts the server again (killing the current one first, if any) on the same export file,
  // export name and filters, preferably on the same port; on another port the relay is
  // retargeted, so guest_port() never changes. The old log is kept as <log>.<restart number>.
  // Not safe to call concurrently with itself.
  [[nodiscard]] Status restart(std::chrono::milliseconds timeout);
  // The relay in front of the server, for network faults.
  [[nodiscard]] TcpRelay& relay() { return *relay_; }
  // Where the server itself listens on 127.0.0.1 (the relay forwards there).
  [[nodiscard]] int server_port() const;
  // The current server process (it is also its group id), or -1.
  [[nodiscard]] pid_t pid() const;
  // nbd-server: how many times a new process was started after one ended its session.
  [[nodiscard]] uint64_t respawns() const { return respawns_.load(); }
  // How many times restart() started the server again.
  [[nodiscard]] uint64_t restarts() const { return restarts_.load(); }
  [[nodiscard]] const std::filesystem::path& log_path() const { return log_path_; }
  [[nodiscard]] const std::string& flavour() const { return options_.flavour; }

 private:
  NbdServer(NbdServerOptions options, std::filesystem::path exe, std::filesystem::path export_file,
            std::vector<std::string> argv, std::filesystem::path log_path, int server_port,
            std::string description, ChildProcess child, std::unique_ptr<TcpRelay> relay);
  void supervise();

  const NbdServerOptions options_;
  const std::filesystem::path exe_;
  const std::filesystem::path export_file_;  // absolute
  const std::filesystem::path log_path_;
  const std::string description_;
  std::unique_ptr<TcpRelay> relay_;

  mutable std::mutex mutex_;  // guards argv_, server_port_, child_, stopping_, stopped_
  std::vector<std::string> argv_;
  int server_port_;
  std::condition_variable wake_;
  std::optional<ChildProcess> child_;
  std::chrono::steady_clock::time_point spawned_at_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::atomic<uint64_t> respawns_{0};
  std::atomic<uint64_t> restarts_{0};
  std::thread supervisor_;  // nbd-server only
};

}  // namespace wedge::storage
