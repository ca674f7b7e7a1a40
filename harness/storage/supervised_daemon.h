// One supervised host daemon (nbd-server, nbdkit, tgtd, ganesha.nfsd): spawned from an argv
// in its own process group on a free loopback port, waited for until it listens, restarted on
// the same port, stopped as a whole group, its output collected in one log file.
//
//   storage::DaemonOptions o{.name = "tgtd", .log = dir / "tgtd.log", .work_dir = dir};
//   o.command = [&](int port) -> Result<std::vector<std::string>> { return argv_for(port); };
//   o.configure = [&](int port) { return tgtadm_setup(port); };   // after it listens
//   WEDGE_TRY(auto daemon, storage::SupervisedDaemon::start(std::move(o), 10s));
//   WEDGE_CHECK(daemon->signal(SIGSTOP));   WEDGE_CHECK(daemon->restart(10s));
//
// Like every ChildProcess, the daemon gets SIGKILL when the *thread* that started it exits
// (PR_SET_PDEATHSIG): start it from a thread that lives as long as the daemon.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/util/process.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct DaemonOptions {
  std::string name;           // for messages: "tgtd"
  std::filesystem::path log;  // stdout and stderr; kept as <log>.<n> across restarts
  std::filesystem::path work_dir;
  // Who it runs as (server_user.h) and what it adds to the environment.
  std::optional<Identity> identity;
  std::vector<std::pair<std::string, std::string>> env;
  // The argv for a daemon listening on 127.0.0.1:port; may write config files first.
  std::function<Result<std::vector<std::string>>(int port)> command;
  // Runs once the daemon listens (e.g. tgtadm creating the target); a failure stops it.
  std::function<Status(int port)> configure;
  // Runs before the daemon is stopped for good (e.g. tgtd, which ignores SIGTERM, is told to
  // delete its target and exit); errors are ignored, the group is killed after stop_grace.
  std::function<void(int port)> before_stop;
  std::chrono::milliseconds stop_grace{2000};
  // nbd-server -d serves one session and exits: start the next one whenever it ends that way
  // (an exit, or SIGPIPE); never after another signal (a crash or a kill must stay visible).
  bool respawn_after_session = false;
};

class SupervisedDaemon {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SupervisedDaemon>> start(
      DaemonOptions options, std::chrono::milliseconds timeout);
  ~SupervisedDaemon();  // stop()
  SupervisedDaemon(const SupervisedDaemon&) = delete;
  SupervisedDaemon& operator=(const SupervisedDaemon&) = delete;

  // The daemon process is alive (a SIGSTOPped one counts) and its port listens.
  [[nodiscard]] bool healthy();
  // Sends sig to the daemon's whole process group.
  [[nodiscard]] Status signal(int sig);
  // SIGKILLs the group, as a crash would; nothing restarts it until restart().
  [[nodiscard]] Status kill();
  // Starts it again (killing the current one first, if any), preferably on the same port.
  [[nodiscard]] Status restart(std::chrono::milliseconds timeout);
  // Stops it for good. Idempotent.
  Status stop();

  // How the daemon process ended ("killed by SIGKILL", "exit 1"), once healthy() or the
  // supervisor has seen it end; empty while it runs.
  [[nodiscard]] std::string exit_description() const;
  [[nodiscard]] int port() const;
  [[nodiscard]] pid_t pid() const;
  [[nodiscard]] uint64_t respawns() const { return respawns_.load(); }
  [[nodiscard]] uint64_t restarts() const { return restarts_.load(); }
  [[nodiscard]] const std::filesystem::path& log_path() const { return options_.log; }
  [[nodiscard]] const std::string& name() const { return options_.name; }

 private:
  SupervisedDaemon(DaemonOptions options, std::vector<std::string> argv, int port,
                   ChildProcess child);
  void supervise();

  const DaemonOptions options_;
  mutable std::mutex mutex_;  // guards everything below but the counters
  std::vector<std::string> argv_;
  int port_;
  std::optional<ChildProcess> child_;
  std::chrono::steady_clock::time_point spawned_at_;
  bool stopping_ = false;
  bool stopped_ = false;
  std::condition_variable wake_;
  std::atomic<uint64_t> respawns_{0};
  std::atomic<uint64_t> restarts_{0};
  std::thread supervisor_;  // respawn_after_session only
};

}  // namespace wedge::storage
