// The job table: kExec runs argv with posix_spawn in its own process group (stdin /dev/null,
// stdout/stderr on pipes), forwards output as kOutput chunks and reports the end as kExited.
// Spawn attributes and file actions are prepared once at start-up, so spawning never mallocs.
#pragma once

#include <poll.h>
#include <spawn.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace wedge::guest {

// A parsed kExec (pointers into the request handler's static storage).
struct ExecRequest {
  uint64_t job = 0;
  char* const* argv = nullptr;  // NULL-terminated, argv[0] non-empty
  char* const* envp = nullptr;  // NULL-terminated
  const char* cwd = nullptr;    // nullptr: inherit the agent's
};

class JobTable {
 public:
  static constexpr int kMaxJobs = 32;
  static constexpr int kMaxPollFds = 2 * kMaxJobs;

  // Prepares reserved descriptors, file actions and spawn attributes. False if that failed
  // (logged); exec then answers kFailed.
  bool init();

  // Starts a job and answers kStarted, or kFailed (with kErrno) if it could not start.
  void exec(const ExecRequest& request);

  // Signals a job's process group; returns 0 or an errno (ESRCH: no such job).
  int signal(uint64_t job, int sig);

  // SIGKILLs every job's process group (serve mode ending: nothing may outlive the agent).
  void kill_all();

  // Records the end of a reaped child; false for pids that are not jobs (orphans under PID 1).
  bool on_child_exit(pid_t pid, int status);

  // Adds the output pipes worth polling now (only while the out queue has room for a chunk)
  // to fds; tags[i] identifies the pipe for on_poll. Returns how many were added.
  int fill_poll(pollfd* fds, uint16_t* tags, int cap) const;
  void on_poll(uint16_t tag, short revents);

  // Closes pipes held open by leftover grandchildren after a grace period and sends kExited
  // once a finished job's output is drained. Call after every poll round.
  void service(int64_t now_ms);
  // Milliseconds until service() has a deadline to act on; -1 if none.
  [[nodiscard]] int next_deadline_ms(int64_t now_ms) const;

 private:
  struct Job {
    bool used = false;
    bool exited = false;
    uint64_t id = 0;
    pid_t pid = -1;
    int fds[2] = {-1, -1};  // stdout, stderr read ends
    int status = 0;
    int64_t drain_deadline_ms = 0;
  };

  // Reads one chunk from a job pipe and queues it; closes the pipe at EOF. Returns false on
  // EAGAIN (nothing there now).
  bool pump(Job& job, int stream);
  void finish_if_drained(Job& job);
  bool resolve(const char* name, char* const* envp, char* out, size_t cap) const;

  bool ready_ = false;
  int null_fd_ = -1;
  // Reserved descriptor numbers the prepared file actions refer to: before each spawn the
  // pipe write ends (and the cwd) are moved onto them, afterwards they point at /dev/null again.
  int out_slot_ = -1;
  int err_slot_ = -1;
  int cwd_slot_ = -1;
  posix_spawn_file_actions_t actions_{};
  posix_spawn_file_actions_t actions_cwd_{};
  posix_spawnattr_t attr_{};
  Job jobs_[kMaxJobs];
};

}  // namespace wedge::guest
