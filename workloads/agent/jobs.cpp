// Implementation of jobs.h: posix_spawn with prepared file actions, pipe forwarding, exits.
#include "workloads/agent/jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/replies.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
constexpr size_t kChunk = 4096;
constexpr size_t kOutputPayload = kChunk + 64;  // one kOutput frame's payload at most
// After the main process ends, how long a pipe may stay open with nothing to read (a
// backgrounded grandchild holding it) before the job is reported as exited anyway.
constexpr int64_t kDrainGraceMs = 500;
constexpr const char* kDefaultPath = "/sbin:/bin:/usr/sbin:/usr/bin";
// Descriptors at or above this number are reserved for spawn plumbing.
constexpr int kSlotBase = 100;

ReplyTo for_job(uint64_t job) {
  ReplyTo to;
  to.has_job = true;
  to.job = job;
  return to;
}

void close_pair(const int fds[2]) {
  close(fds[0]);
  close(fds[1]);
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}
}  // namespace

bool JobTable::init() {
  null_fd_ = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd_ < 0) {
    agent_log("jobs: open /dev/null: %s", errno_text(errno));
    return false;
  }
  int low = null_fd_;
  null_fd_ = fcntl(low, F_DUPFD_CLOEXEC, kSlotBase);
  close(low);
  out_slot_ = fcntl(null_fd_, F_DUPFD_CLOEXEC, kSlotBase);
  err_slot_ = fcntl(null_fd_, F_DUPFD_CLOEXEC, kSlotBase);
  cwd_slot_ = fcntl(null_fd_, F_DUPFD_CLOEXEC, kSlotBase);
  if (null_fd_ < 0 || out_slot_ < 0 || err_slot_ < 0 || cwd_slot_ < 0) {
    agent_log("jobs: reserving descriptors: %s", errno_text(errno));
    return false;
  }
  // Each step runs only while every earlier one succeeded; rc keeps the first error.
  int rc = 0;
  auto step = [&rc](int result) {
    if (rc == 0) rc = result;
  };
  posix_spawn_file_actions_t* both[] = {&actions_, &actions_cwd_};
  for (posix_spawn_file_actions_t* fa : both) {
    step(posix_spawn_file_actions_init(fa));
    step(posix_spawn_file_actions_adddup2(fa, null_fd_, STDIN_FILENO));
    step(posix_spawn_file_actions_adddup2(fa, out_slot_, STDOUT_FILENO));
    step(posix_spawn_file_actions_adddup2(fa, err_slot_, STDERR_FILENO));
  }
  step(posix_spawn_file_actions_addfchdir_np(&actions_cwd_, cwd_slot_));
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  step(posix_spawnattr_init(&attr_));
  // Own process group (so kSignal reaches what the job forks), an empty signal mask (the agent
  // blocks SIGCHLD for its signalfd) and default dispositions (the agent ignores SIGPIPE).
  step(posix_spawnattr_setflags(
      &attr_, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  step(posix_spawnattr_setpgroup(&attr_, 0));
  step(posix_spawnattr_setsigmask(&attr_, &none));
  step(posix_spawnattr_setsigdefault(&attr_, &all));
  if (rc != 0) {
    agent_log("jobs: preparing posix_spawn: %s", errno_text(rc));
    return false;
  }
  ready_ = true;
  return true;
}

bool JobTable::resolve(const char* name, char* const* envp, char* out, size_t cap) const {
  if (strchr(name, '/') != nullptr) {
    int n = snprintf(out, cap, "%s", name);
    return n > 0 && static_cast<size_t>(n) < cap;
  }
  // The job's own PATH decides, not the agent's environment.
  const char* path = kDefaultPath;
  for (char* const* e = envp; *e; ++e) {
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  }
  while (*path) {
    const char* end = strchr(path, ':');
    size_t dir_len = end ? static_cast<size_t>(end - path) : strlen(path);
    if (dir_len > 0) {
      int n = snprintf(out, cap, "%.*s/%s", static_cast<int>(dir_len), path, name);
      if (n > 0 && static_cast<size_t>(n) < cap && access(out, X_OK) == 0) return true;
    }
    if (!end) break;
    path = end + 1;
  }
  return false;
}

void JobTable::exec(const ExecRequest& request) {
  ReplyTo to = for_job(request.job);
  if (!ready_) {
    send_failed(to, ENOSYS, "exec: spawning is unavailable (see the agent log)");
    return;
  }
  Job* slot = nullptr;
  for (Job& job : jobs_) {
    if (job.used && job.id == request.job) {
      send_failed(to, EEXIST, "exec: job id in use");
      return;
    }
    if (!job.used && slot == nullptr) slot = &job;
  }
  if (slot == nullptr) {
    send_failed(to, EAGAIN, "exec: job table full");
    return;
  }
  static char path[4096];
  if (!resolve(request.argv[0], request.envp, path, sizeof path)) {
    char what[320];
    snprintf(what, sizeof what, "exec %.256s: not found on PATH", request.argv[0]);
    send_failed(to, ENOENT, what);
    return;
  }
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    send_failed(to, errno, "exec: pipe");
    return;
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close_pair(out_pipe);
    send_failed(to, err, "exec: pipe");
    return;
  }
  if (request.cwd != nullptr) {
    int dir = open(request.cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
      int err = errno;
      close_pair(out_pipe);
      close_pair(err_pipe);
      char what[320];
      snprintf(what, sizeof what, "exec: cwd %.256s", request.cwd);
      send_failed(to, err, what);
      return;
    }
    dup3(dir, cwd_slot_, O_CLOEXEC);
    close(dir);
  }
  // Only the agent's ends are non-blocking; the job sees ordinary blocking pipes.
  fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  dup3(out_pipe[1], out_slot_, O_CLOEXEC);
  dup3(err_pipe[1], err_slot_, O_CLOEXEC);
  close(out_pipe[1]);
  close(err_pipe[1]);

  pid_t pid = -1;
  int rc = posix_spawn(&pid, path, request.cwd ? &actions_cwd_ : &actions_, &attr_, request.argv,
                       request.envp);
  // Point the slots back at /dev/null so the write ends live only in the job.
  dup3(null_fd_, out_slot_, O_CLOEXEC);
  dup3(null_fd_, err_slot_, O_CLOEXEC);
  if (request.cwd != nullptr) dup3(null_fd_, cwd_slot_, O_CLOEXEC);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    char what[320];
    snprintf(what, sizeof what, "exec %.256s", path);
    send_failed(to, rc, what);
    return;
  }
  *slot = Job{};
  slot->used = true;
  slot->id = request.job;
  slot->pid = pid;
  slot->fds[0] = out_pipe[0];
  slot->fds[1] = err_pipe[0];

  uint8_t payload[64];
  ap::FieldWriter w(payload, sizeof payload);
  w.put_u64(ap::field::kJobId, request.job);
  w.put_i64(ap::field::kPid, pid);
  outq().push(ap::MsgType::kStarted, w.data(), w.size(), Priority::kReply);
}

int JobTable::signal(uint64_t job, int sig) {
  for (Job& j : jobs_) {
    if (j.used && j.id == job) {
      // The group outlives its leader while forked helpers remain, so this works after exit too.
      return kill(-j.pid, sig) == 0 ? 0 : errno;
    }
  }
  return ESRCH;
}

void JobTable::kill_all() {
  for (Job& job : jobs_) {
    if (job.used) kill(-job.pid, SIGKILL);
  }
}

bool JobTable::on_child_exit(pid_t pid, int status) {
  for (Job& job : jobs_) {
    if (job.used && !job.exited && job.pid == pid) {
      job.exited = true;
      job.status = status;
      job.drain_deadline_ms = monotonic_ms() + kDrainGraceMs;
      return true;
    }
  }
  return false;
}

int JobTable::fill_poll(pollfd* fds, uint16_t* tags, int cap) const {
  // Back-pressure: leave a job's output in its pipe while the ring cannot take a chunk.
  if (!outq().has_room_for(kOutputPayload, Priority::kOutput)) return 0;
  int n = 0;
  for (int i = 0; i < kMaxJobs; ++i) {
    for (int stream = 0; stream < 2; ++stream) {
      if (!jobs_[i].used || jobs_[i].fds[stream] < 0 || n == cap) continue;
      fds[n].fd = jobs_[i].fds[stream];
      fds[n].events = POLLIN;
      fds[n].revents = 0;
      tags[n] = static_cast<uint16_t>(i * 2 + stream);
      ++n;
    }
  }
  return n;
}

bool JobTable::pump(Job& job, int stream) {
  static uint8_t data[kChunk];
  static uint8_t payload[kOutputPayload];
  ssize_t n = read(job.fds[stream], data, sizeof data);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return false;
    close_fd(job.fds[stream]);
    return true;
  }
  if (n == 0) {
    close_fd(job.fds[stream]);
    return true;
  }
  ap::FieldWriter w(payload, sizeof payload);
  w.put_u64(ap::field::kJobId, job.id);
  w.put_u64(ap::field::kStream, static_cast<uint64_t>(stream + 1));
  w.put_bytes(ap::field::kData, data, static_cast<size_t>(n));
  outq().push(ap::MsgType::kOutput, w.data(), w.size(), Priority::kReply);
  return true;
}

void JobTable::on_poll(uint16_t tag, short revents) {
  int index = tag / 2, stream = tag % 2;
  if (index >= kMaxJobs || !jobs_[index].used || jobs_[index].fds[stream] < 0) return;
  if (revents & (POLLIN | POLLHUP | POLLERR)) pump(jobs_[index], stream);
}

void JobTable::finish_if_drained(Job& job) {
  if (job.fds[0] >= 0 || job.fds[1] >= 0) return;
  uint8_t payload[64];
  ap::FieldWriter w(payload, sizeof payload);
  w.put_u64(ap::field::kJobId, job.id);
  if (WIFSIGNALED(job.status)) {
    w.put_i64(ap::field::kSignal, WTERMSIG(job.status));
  } else {
    w.put_i64(ap::field::kExitCode, WEXITSTATUS(job.status));
  }
  // Keep the slot (and retry) until the exit is queued: the host waits for it.
  if (outq().push(ap::MsgType::kExited, w.data(), w.size(), Priority::kReply)) job = Job{};
}

void JobTable::service(int64_t now_ms) {
  for (Job& job : jobs_) {
    if (!job.used || !job.exited) continue;
    if (now_ms >= job.drain_deadline_ms) {
      for (int stream = 0; stream < 2; ++stream) {
        if (job.fds[stream] < 0) continue;
        if (!outq().has_room_for(kOutputPayload, Priority::kOutput)) break;
        // Read what is there; an empty pipe is held open only by a leftover grandchild.
        if (!pump(job, stream)) close_fd(job.fds[stream]);
      }
    }
    finish_if_drained(job);
  }
}

int JobTable::next_deadline_ms(int64_t now_ms) const {
  // A job blocked only on ring space needs no timer: the port's POLLOUT wakes the loop.
  if (!outq().has_room_for(kOutputPayload, Priority::kOutput)) return -1;
  int64_t best = -1;
  for (const Job& job : jobs_) {
    if (!job.used || !job.exited || (job.fds[0] < 0 && job.fds[1] < 0)) continue;
    int64_t wait = job.drain_deadline_ms - now_ms;
    if (wait < 0) wait = 0;
    if (best < 0 || wait < best) best = wait;
  }
  return static_cast<int>(best);
}

}  // namespace wedge::guest
