// Implementation of serve_loop.h: start-up (mlockall, fds, timers) and the poll loop.
#include "workloads/agent/serve_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workloads/agent/file_worker.h"
#include "workloads/agent/inq.h"
#include "workloads/agent/io_flusher.h"
#include "workloads/agent/jobs.h"
#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/requests.h"
#include "workloads/agent/sampler.h"
#include "workloads/agent/task_cache.h"
#include "workloads/agent/task_scan.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
JobTable g_jobs;
Sampler g_sampler;
InQueue g_inq;

// Touches stack pages now so that, locked by mlockall, deep calls later never fault.
[[gnu::noinline]] void prefault_stack() {
  volatile char pages[128 * 1024];
  for (size_t i = 0; i < sizeof pages; i += 4096) pages[i] = 0;
}

int make_timer() {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return -1;
  itimerspec spec{};
  spec.it_interval.tv_sec = 1;
  spec.it_value.tv_sec = 1;
  if (timerfd_settime(fd, 0, &spec, nullptr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int make_sigchld_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) return -1;
  return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

// Leaves no job behind when serving ends (only serve mode ever gets here normally).
int stop_serving(int code) {
  g_jobs.kill_all();
  return code;
}

// What one reap_children pass found: job_exited is set when a reaped child was one of the
// jobs (not a stray grandchild reparented to init).
struct Reaped {
  JobTable* jobs;
  bool job_exited = false;
};

void on_job_exit(int pid, int status, void* ctx) {
  auto* reaped = static_cast<Reaped*>(ctx);
  if (reaped->jobs->on_child_exit(pid, status)) reaped->job_exited = true;
}

// Reports sample/heartbeat drops once per tick while they keep growing.
void report_drops() {
  static uint64_t reported = 0;
  uint64_t total = outq().dropped_total();
  if (total == reported) return;
  agent_log_periodic("out queue full: dropped %llu samples, %llu periodic, %llu replies so far",
                     static_cast<unsigned long long>(outq().dropped(Priority::kBulk)),
                     static_cast<unsigned long long>(outq().dropped(Priority::kPeriodic)),
                     static_cast<unsigned long long>(outq().dropped(Priority::kReply)));
  reported = outq().dropped_total();
}
}  // namespace

void reap_children(void (*on_exit)(int pid, int status, void* ctx), void* ctx) {
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    if (on_exit) on_exit(pid, status, ctx);
  }
}

int serve(const ServeConfig& config) {
  // Lock first, so everything allocated below (and the static buffers) stays resident.
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) agent_log("mlockall: %s", errno_text(errno));
  prefault_stack();
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, nullptr);
  int timer_fd = make_timer();
  int sig_fd = make_sigchld_fd();
  if (timer_fd < 0 || sig_fd < 0) {
    agent_log("serve: timerfd/signalfd: %s", errno_text(errno));
    return 1;
  }
  // Opened now: in a wedged guest, opening it later may never return.
  int sysrq_flags = O_WRONLY | O_CLOEXEC | (config.sysrq_is_plain_file ? O_CREAT | O_APPEND : 0);
  int sysrq_fd = open(config.sysrq_path, sysrq_flags, 0644);
  if (sysrq_fd < 0) agent_log("open %s: %s", config.sysrq_path, errno_text(errno));
  g_sampler.open_files();
  g_jobs.init();
  // After the signalfd: the worker inherits nothing it could take SIGCHLD with.
  (void)file_worker().start();
  if (config.task_refresh_ms > 0) {
    if (int err = task_cache().start(config.proc_root, config.task_refresh_ms); err != 0) {
      agent_log("task cache: %s; scans open every file they read", errno_text(err));
    }
  }
  if (int err = task_scan().start(config.proc_root); err != 0) {
    agent_log("task scan: %s; scans are refused", errno_text(err));
  }
  // After the helper threads, which must not inherit it (io_flusher.h); a write to memory.max
  // by the file worker, for one, has to reclaim with I/O as any writer's would.
  if (int err = set_io_flusher(true); err != 0) {
    agent_log("prctl(PR_SET_IO_FLUSHER): %s; the agent may block in reclaim on stuck I/O",
              errno_text(err));
  }
  Requests requests(g_jobs, g_sampler, sysrq_fd, config.sysrq_path, config.may_power_off);

  g_sampler.send_hello();
  constexpr int kFixed = 5;  // port, timer, signalfd, file worker, task scan
  static pollfd fds[kFixed + JobTable::kMaxPollFds];
  static uint16_t tags[JobTable::kMaxPollFds];
  // A virtio port reports POLLHUP for as long as no host is connected; it is left out of the
  // poll set until the next tick rather than spinning on it.
  bool port_paused = false;
  for (;;) {
    int n = 0;
    int port_index = -1;
    if (!port_paused) {
      port_index = n;
      fds[n++] = {config.port_fd, static_cast<short>(POLLIN | (outq().empty() ? 0 : POLLOUT)), 0};
    }
    int timer_index = n;
    fds[n++] = {timer_fd, POLLIN, 0};
    int sig_index = n;
    fds[n++] = {sig_fd, POLLIN, 0};
    int worker_index = -1;
    if (file_worker().reply_fd() >= 0) {
      worker_index = n;
      fds[n++] = {file_worker().reply_fd(), POLLIN, 0};
    }
    int scan_index = -1;
    if (task_scan().ready_fd() >= 0) {
      scan_index = n;
      fds[n++] = {task_scan().ready_fd(), POLLIN, 0};
    }
    int jobs_index = n;
    n += g_jobs.fill_poll(fds + n, tags, JobTable::kMaxPollFds);

    int64_t now = monotonic_ms();
    int timeout = g_jobs.next_deadline_ms(now);
    int scan_ms = task_scan().ms_until_deadline(now);
    if (scan_ms >= 0 && (timeout < 0 || scan_ms < timeout)) timeout = scan_ms;
    int rc = poll(fds, static_cast<nfds_t>(n), timeout);
    if (rc < 0 && errno != EINTR) {
      agent_log("poll: %s", errno_text(errno));
      return stop_serving(1);
    }
    if (rc < 0) continue;

    if (port_index >= 0) {
      short re = fds[port_index].revents;
      if (re & (POLLIN | POLLHUP | POLLERR)) {
        InQueue::ReadStatus st = g_inq.pump(config.port_fd, requests);
        if (st != InQueue::ReadStatus::kAgain) {
          if (config.port_is_socket) return stop_serving(0);
          // No host on the virtio port: retry at the next tick, greet whoever comes next.
          port_paused = true;
          requests.host_gone();
        }
      }
      if (requests.stop_requested()) {
        (void)outq().flush(config.port_fd);
        return stop_serving(0);
      }
    }
    if (fds[timer_index].revents & POLLIN) {
      uint64_t expirations;
      while (read(timer_fd, &expirations, sizeof expirations) > 0) {
      }
      g_sampler.send_heartbeat();
      if (!requests.host_seen()) g_sampler.send_hello();
      g_sampler.send_sample();
      report_drops();
      port_paused = false;
    }
    if (fds[sig_index].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sig_fd, &info, sizeof info) > 0) {
      }
      Reaped reaped{&g_jobs};
      reap_children(on_job_exit, &reaped);
      // A sample at each job's end records the state it ended in (its cgroup's OOM kill, the
      // swap it left) even when it lived less than one sampling tick.
      if (reaped.job_exited) g_sampler.send_sample();
    }
    for (int i = jobs_index; i < n; ++i) {
      if (fds[i].revents) g_jobs.on_poll(tags[i - jobs_index], fds[i].revents);
    }
    g_jobs.service(monotonic_ms());
    if (worker_index >= 0 && (fds[worker_index].revents & POLLIN)) file_worker().collect();
    if (file_worker().replies_waiting()) file_worker().collect();
    if (task_scan().active() || (scan_index >= 0 && (fds[scan_index].revents & POLLIN))) {
      task_scan().collect(monotonic_ms());
    }

    if (!port_paused && !outq().empty() && !outq().flush(config.port_fd)) {
      if (config.port_is_socket) return stop_serving(0);
      port_paused = true;
    }
  }
}

}  // namespace wedge::guest
