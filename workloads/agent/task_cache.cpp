// Implementation of task_cache.h: a listing of /proc and of each process's task/ directory
// every few seconds, opening what is new and closing what is gone. Entries are added and
// dropped under the mutex; opening, reading and listing happen outside it, so a refresh that
// blocks in the kernel never holds up a scan of the entries already there.
#include "workloads/agent/task_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "workloads/agent/agent_thread.h"
#include "workloads/agent/io_flusher.h"
#include "workloads/agent/log.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
TaskCache g_cache;
// About 6 KiB are used (measured through /proc/PID/mem after scans of a host).
alignas(64) uint8_t g_stack[32 * 1024];
alignas(8) char g_root_buf[8 * 1024];
alignas(8) char g_task_buf[4 * 1024];
// How soon after a job starts the cache looks again (it looks at once, too).
constexpr int kFollowUpMs = 300;
// Descriptors left for everything else the agent opens: job pipes, its own files.
constexpr rlim_t kSpareFds = 512;

// Makes room for the cache's descriptors; returns how many threads it may keep open.
int raise_fd_limit() {
  constexpr rlim_t want = TaskCache::kMaxFds + kSpareFds;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < want) {
    rlimit raised = lim;
    raised.rlim_cur = want;
    if (raised.rlim_max != RLIM_INFINITY && raised.rlim_max < want) raised.rlim_max = want;
    // Raising the hard limit needs CAP_SYS_RESOURCE; without it, take what the hard one allows.
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      raised.rlim_max = lim.rlim_max;
      raised.rlim_cur = lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want ? want : lim.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &raised) != 0) raised = lim;
    }
    lim = raised;
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want) {
    agent_log("task cache: RLIMIT_NOFILE is %llu, fewer threads are kept open",
              static_cast<unsigned long long>(lim.rlim_cur));
    if (lim.rlim_cur <= kSpareFds) return 0;
    return static_cast<int>((lim.rlim_cur - kSpareFds) / (kTaskFileCount + 1));
  }
  return TaskCache::kMaxTasks;
}
}  // namespace

TaskCache& task_cache() { return g_cache; }

TaskCache::Lock::Lock() { pthread_mutex_lock(&g_cache.mutex_); }
TaskCache::Lock::~Lock() { pthread_mutex_unlock(&g_cache.mutex_); }
std::span<const TaskFiles> TaskCache::Lock::tasks() const { return g_cache.tasks_; }

int TaskCache::start(const char* proc_root, int refresh_ms) {
  capacity_ = raise_fd_limit();
  root_fd_ = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) return errno;
  kick_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (kick_fd_ < 0) return errno;
  refresh_ms_ = refresh_ms;
  self_ = getpid();
  int rc = start_agent_thread(&TaskCache::thread_main, this, g_stack, sizeof g_stack);
  if (rc != 0) {
    close(root_fd_);
    root_fd_ = -1;
    return rc;
  }
  running_ = true;
  return 0;
}

void* TaskCache::thread_main(void* self) {
  name_this_thread("wedge-tasks");
  (void)set_io_flusher(false);  // never: see io_flusher.h
  static_cast<TaskCache*>(self)->work();
  return nullptr;
}

void TaskCache::work() {
  bool follow_up = false;
  for (;;) {
    refresh();
    // After a job starts: once more shortly, for the threads it starts in its first moments.
    pollfd pfd{kick_fd_, POLLIN, 0};
    int rc = poll(&pfd, 1, follow_up ? kFollowUpMs : refresh_ms_);
    follow_up = rc > 0;
    if (rc > 0) {
      uint64_t count;
      (void)read(kick_fd_, &count, sizeof count);
    } else if (rc < 0 && errno != EINTR) {
      sleep_ms(refresh_ms_);  // cannot happen with a valid eventfd; never spin
    }
  }
}

void TaskCache::refresh_soon() {
  if (!running_) return;
  uint64_t one = 1;
  (void)write(kick_fd_, &one, sizeof one);
}

void TaskCache::refresh() {
  ++round_;
  left_out_now_ = 0;
  PidDir root(root_fd_, g_root_buf, sizeof g_root_buf);
  pid_t pid;
  while (root.next(&pid)) {
    if (pid == self_) continue;  // the agent's own threads are never reported
    Process* p = find_or_open_process(pid);
    if (p == nullptr) continue;
    process_seen_[p - processes_] = round_;
    refresh_process(*p);
  }
  drop_unseen(!root.failed());
  open_tasks_.store(used_, std::memory_order_relaxed);
  left_out_.store(left_out_now_, std::memory_order_relaxed);
  refreshes_.fetch_add(1, std::memory_order_relaxed);
}

TaskCache::Process* TaskCache::find_or_open_process(pid_t pid) {
  Process* free_slot = nullptr;
  for (Process& p : processes_) {
    if (p.pid == pid) return &p;
    if (p.pid == 0 && free_slot == nullptr) free_slot = &p;
  }
  if (free_slot == nullptr) {
    ++left_out_now_;
    return nullptr;
  }
  char path[32];
  snprintf(path, sizeof path, "%d/task", static_cast<int>(pid));
  int fd = openat(root_fd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;  // gone since the listing
  free_slot->pid = pid;
  free_slot->task_dir_fd = fd;
  return free_slot;
}

void TaskCache::refresh_process(Process& p) {
  PidDir dir(p.task_dir_fd, g_task_buf, sizeof g_task_buf);
  pid_t tid;
  while (dir.next(&tid)) {
    int i = find_task(tid);
    if (i >= 0) {
      // A thread id can be reused within one refresh interval; the open files would then
      // keep answering for the thread that is gone (ESRCH).
      char probe[16];
      if (pread(tasks_[i].fds[kStatFile], probe, sizeof probe, 0) >= 0 || errno != ESRCH) {
        task_seen_[i] = round_;
        continue;
      }
      drop_task(i);
    }
    if (used_ >= capacity_) {
      ++left_out_now_;
      continue;
    }
    TaskFiles f;
    if (!open_task_files(p.task_dir_fd, p.pid, tid, &f)) continue;
    warm_task_files(f);
    add_task(f);
  }
}

int TaskCache::find_task(pid_t tid) const {
  // A linear search: a few hundred entries, a few times a minute.
  for (int i = 0; i < kMaxTasks; ++i) {
    if (tasks_[i].tid == tid) return i;
  }
  return -1;
}

void TaskCache::add_task(const TaskFiles& f) {
  int i = find_task(0);
  if (i < 0) {  // cannot happen while used_ < capacity_ <= kMaxTasks
    TaskFiles copy = f;
    close_task_files(&copy);
    return;
  }
  pthread_mutex_lock(&mutex_);
  tasks_[i] = f;
  pthread_mutex_unlock(&mutex_);
  task_seen_[i] = round_;
  ++used_;
}

void TaskCache::drop_task(int i) {
  TaskFiles gone;
  pthread_mutex_lock(&mutex_);
  gone = tasks_[i];
  tasks_[i] = TaskFiles{};
  pthread_mutex_unlock(&mutex_);
  // Closed after the entry is gone: a scan never sees a descriptor number being reused.
  close_task_files(&gone);
  --used_;
}

void TaskCache::drop_unseen(bool listing_complete) {
  // A listing cut short says nothing about what it did not reach.
  if (!listing_complete) return;
  for (int i = 0; i < kMaxTasks; ++i) {
    if (tasks_[i].tid != 0 && task_seen_[i] != round_) drop_task(i);
  }
  for (int i = 0; i < kMaxProcesses; ++i) {
    if (processes_[i].pid != 0 && process_seen_[i] != round_) {
      close(processes_[i].task_dir_fd);
      processes_[i] = Process{};
    }
  }
}

}  // namespace wedge::guest
