// Implementation of supervised_daemon.h.
#include "harness/storage/supervised_daemon.h"

#include <signal.h>

#include "harness/storage/ports.h"
#include "harness/storage/proc_net_tcp.h"
#include "harness/util/net.h"

namespace wedge::storage {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// Another process can take the port we picked before the daemon binds it.
constexpr int kStartAttempts = 3;
constexpr milliseconds kSupervisePoll{20};
// A process that ends this soon after starting did not serve a session: after a few in a row,
// stop restarting it (healthy() turns false and its log tells why).
constexpr milliseconds kQuickExit{1000};
constexpr int kMaxQuickExits = 5;

struct Spawned {
  std::vector<std::string> argv;
  int port = 0;
  ChildProcess child;
};

// Starts the daemon and waits until it listens (and is configured): on preferred_port first
// (0: none), then on free ports.
Result<Spawned> spawn_listening(const DaemonOptions& o, int preferred_port, milliseconds timeout) {
  Error last_error("no attempt made");
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    int port = preferred_port;
    if (attempt > 0 || port == 0) {
      WEDGE_TRY(port, pick_free_loopback_port());
    }
    WEDGE_TRY(std::vector<std::string> argv, o.command(port));
    SpawnOptions spawn;
    spawn.stdout_path = o.log;
    spawn.working_dir = o.work_dir;
    spawn.identity = o.identity;
    spawn.env = o.env;
    WEDGE_TRY(ChildProcess child, ChildProcess::spawn(argv, spawn));
    auto listening = wait_until_listening(port, child, o.log, timeout);
    if (listening && o.configure) {
      listening = o.configure(port).context(fmt::format("configuring {}", o.name));
      if (!listening) {
        if (o.before_stop) o.before_stop(port);
        child.stop(o.stop_grace);
        return listening.error();
      }
    }
    if (!listening) {
      last_error = listening.error();
      bool exited = !child.running();
      child.stop(milliseconds(0));
      if (exited) continue;  // most likely lost the port to someone else: pick another
      break;
    }
    return Spawned{std::move(argv), port, std::move(child)};
  }
  return last_error;
}

}  // namespace

Result<std::unique_ptr<SupervisedDaemon>> SupervisedDaemon::start(DaemonOptions options,
                                                                  milliseconds timeout) {
  if (!options.command) return make_error("starting {}: no command", options.name);
  WEDGE_TRY(Spawned s, spawn_listening(options, 0, timeout));
  return std::unique_ptr<SupervisedDaemon>(
      new SupervisedDaemon(std::move(options), std::move(s.argv), s.port, std::move(s.child)));
}

SupervisedDaemon::SupervisedDaemon(DaemonOptions options, std::vector<std::string> argv, int port,
                                   ChildProcess child)
    : options_(std::move(options)),
      argv_(std::move(argv)),
      port_(port),
      child_(std::move(child)),
      spawned_at_(Clock::now()) {
  if (options_.respawn_after_session) supervisor_ = std::thread([this] { supervise(); });
}

SupervisedDaemon::~SupervisedDaemon() { (void)stop(); }

void SupervisedDaemon::supervise() {
  std::unique_lock lock(mutex_);
  int quick_exits = 0;
  while (!wake_.wait_for(lock, kSupervisePoll, [this] { return stopping_; })) {
    if (!child_ || child_->running()) continue;
    std::optional<ExitStatus> status = child_->exit_status();
    if (!status || (status->signal != 0 && status->signal != SIGPIPE)) continue;
    if (Clock::now() - spawned_at_ < kQuickExit) {
      if (++quick_exits > kMaxQuickExits) continue;
    } else {
      quick_exits = 0;
    }
    SpawnOptions spawn;
    spawn.stdout_path = options_.log;
    spawn.working_dir = options_.work_dir;
    spawn.identity = options_.identity;
    spawn.env = options_.env;
    auto next = ChildProcess::spawn(argv_, spawn);
    if (!next) continue;  // healthy() reports the dead daemon
    child_ = std::move(*next);
    spawned_at_ = Clock::now();
    respawns_++;
  }
}

std::string SupervisedDaemon::exit_description() const {
  std::lock_guard lock(mutex_);
  if (!child_ || !child_->exit_status()) return {};
  return child_->exit_status()->describe();
}

bool SupervisedDaemon::healthy() {
  int port = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !child_ || !child_->running()) return false;
    port = port_;
  }
  auto listening = loopback_port_listening(port);
  return listening.ok() && *listening;
}

Status SupervisedDaemon::signal(int sig) {
  std::lock_guard lock(mutex_);
  if (stopped_ || !child_) return make_error("{}: not running", options_.name);
  return child_->signal_group(sig).context(options_.name);
}

Status SupervisedDaemon::kill() {
  std::lock_guard lock(mutex_);
  if (stopped_ || stopping_) return make_error("{}: stopped", options_.name);
  if (!child_) return make_error("{}: not running (killed before?)", options_.name);
  child_->stop(milliseconds(0));  // SIGCONT + SIGKILL to the group, then reap
  child_.reset();
  return ok_status();
}

Status SupervisedDaemon::restart(milliseconds timeout) {
  const std::string what = fmt::format("restarting {}", options_.name);
  int old_port = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || stopping_) return make_error("{}: stopped", what);
    if (child_) child_->stop(milliseconds(0));
    child_.reset();
    old_port = port_;
  }
  uint64_t number = restarts_.load() + 1;
  std::error_code ec;
  fs::rename(options_.log, fs::path(options_.log.string() + "." + std::to_string(number)), ec);
  // Someone else listening on the old port would pass for our daemon: then use another.
  auto taken = loopback_port_listening(old_port);
  int preferred = taken.ok() && !*taken ? old_port : 0;
  auto spawned = spawn_listening(options_, preferred, timeout);
  if (!spawned) return spawned.error().context(what);
  std::lock_guard lock(mutex_);
  if (stopping_ || stopped_) {
    spawned->child.stop(milliseconds(0));
    return make_error("{}: stopped meanwhile", what);
  }
  argv_ = std::move(spawned->argv);
  port_ = spawned->port;
  child_ = std::move(spawned->child);
  spawned_at_ = Clock::now();
  restarts_++;
  return ok_status();
}

Status SupervisedDaemon::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return ok_status();
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  std::lock_guard lock(mutex_);
  if (child_) {
    if (child_->running()) {
      (void)child_->signal_group(SIGCONT);  // a stalled daemon must be able to act
      if (options_.before_stop) options_.before_stop(port_);
    }
    child_->stop(options_.stop_grace);
    child_.reset();
  }
  stopped_ = true;
  return ok_status();
}

int SupervisedDaemon::port() const {
  std::lock_guard lock(mutex_);
  return port_;
}

pid_t SupervisedDaemon::pid() const {
  std::lock_guard lock(mutex_);
  return child_ ? child_->pid() : -1;
}

}  // namespace wedge::storage
