// Implementation of task_scan.h: the scan thread (cached threads, then a /proc walk), a
// single-producer/single-consumer ring of kTask payloads, and the serving loop's side that
// queues them and answers kDone on time.
#include "workloads/agent/task_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/agent_thread.h"
#include "workloads/agent/io_flusher.h"
#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
TaskScan g_scan;
// About 6 KiB are used (measured through /proc/PID/mem after scans of a host).
alignas(64) uint8_t g_stack[32 * 1024];
// The scan thread's buffers.
alignas(8) char g_root_buf[8 * 1024];
alignas(8) char g_task_buf[4 * 1024];
TaskText g_text;
// The thread stops starting new reads this long before the budget is spent, so that a scan
// that is merely slow still ends on its own, with its counts.
constexpr int64_t kWrapUpMs = 250;

void signal_fd(int fd) {
  uint64_t one = 1;
  (void)write(fd, &one, sizeof one);
}
}  // namespace

TaskScan& task_scan() { return g_scan; }

int TaskScan::start(const char* proc_root) {
  snprintf(root_, sizeof root_, "%s", proc_root);
  root_fd_ = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) return errno;
  work_fd_ = eventfd(0, EFD_CLOEXEC);
  ready_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (work_fd_ < 0 || ready_fd_ < 0) return errno;
  self_ = getpid();
  int rc = start_agent_thread(&TaskScan::thread_main, this, g_stack, sizeof g_stack);
  if (rc != 0) return rc;
  running_ = true;
  return 0;
}

// --- The scan thread -------------------------------------------------------------------------

void* TaskScan::thread_main(void* self) {
  name_this_thread("wedge-scan");
  (void)set_io_flusher(false);  // never: see io_flusher.h
  static_cast<TaskScan*>(self)->work();
  return nullptr;
}

void TaskScan::wait_for_main() {
  uint64_t count;
  if (read(work_fd_, &count, sizeof count) < 0 && errno != EINTR) {
    sleep_ms(100);  // cannot happen with a valid eventfd; never spin
  }
}

void TaskScan::work() {
  uint32_t done = 0;
  for (;;) {
    uint32_t scan = requested_.load(std::memory_order_acquire);
    if (scan == done) {
      wait_for_main();
      continue;
    }
    run(scan);
    done = scan;
    finished_.store(scan, std::memory_order_release);
    signal_fd(ready_fd_);
  }
}

void TaskScan::run(uint32_t scan) {
  reported_ = from_cache_ = skipped_ = known_count_ = known_process_count_ = dirs_opened_ = 0;
  report_cached(scan);
  walk_proc(scan);
}

bool TaskScan::given_up(uint32_t scan) const {
  return given_up_.load(std::memory_order_acquire) == scan ||
         monotonic_ms() >= deadline_ms_ - kWrapUpMs;
}

bool TaskScan::wanted(char state) const { return strchr(states_, state) != nullptr; }

bool TaskScan::known(pid_t tid) const {
  for (int i = 0; i < known_count_; ++i) {
    if (known_[i] == tid) return true;
  }
  return false;
}

void TaskScan::note_known(pid_t pid, pid_t tid, long threads) {
  known_[known_count_++] = tid;
  KnownProcess* p = nullptr;
  for (int i = 0; i < known_process_count_ && p == nullptr; ++i) {
    if (known_processes_[i].pid == pid) p = &known_processes_[i];
  }
  if (p == nullptr) {
    p = &known_processes_[known_process_count_++];
    *p = KnownProcess{pid, 0, 0};
  }
  ++p->known;
  if (tid == pid) p->threads = threads;
}

bool TaskScan::all_threads_known(pid_t pid) const {
  for (int i = 0; i < known_process_count_; ++i) {
    const KnownProcess& p = known_processes_[i];
    if (p.pid == pid) return p.threads > 0 && p.known >= p.threads;
  }
  return false;
}

void TaskScan::note_reading(pid_t pid, pid_t tid, int which) {
  reading_pid_.store(pid, std::memory_order_relaxed);
  reading_tid_.store(tid, std::memory_order_relaxed);
  reading_file_.store(which, std::memory_order_relaxed);
}

void TaskScan::describe_reading(char* out, size_t cap) const {
  int pid = reading_pid_.load(std::memory_order_relaxed);
  int tid = reading_tid_.load(std::memory_order_relaxed);
  int which = reading_file_.load(std::memory_order_relaxed);
  if (which < 0) {
    snprintf(out, cap, "%s/%d/task", root_, pid);
  } else {
    snprintf(out, cap, "%s/%d/task/%d/%s", root_, pid, tid, task_file_name(which));
  }
}

void TaskScan::report_cached(uint32_t scan) {
  // Held throughout, so the cache thread cannot close (and the kernel reuse) a descriptor
  // while it is read here; the cache thread only waits to add or drop entries meanwhile.
  TaskCache::Lock lock;
  for (const TaskFiles& f : lock.tasks()) {
    if (f.tid == 0) continue;
    if (given_up(scan)) return;
    note_reading(f.pid, f.tid, kStatFile);
    // A thread that is gone stays unknown: the walk may find its id reused.
    if (!read_task_stat(f.fds[kStatFile], &g_text)) continue;
    note_known(f.pid, f.tid, g_text.threads);
    if (!wanted(g_text.state)) continue;
    note_reading(f.pid, f.tid, kStackFile);
    read_task_detail(f, &g_text);
    if (!emit(scan, f.tid, g_text)) return;
    ++from_cache_;
  }
}

void TaskScan::walk_proc(uint32_t scan) {
  PidDir root(root_fd_, g_root_buf, sizeof g_root_buf);
  pid_t pid;
  while (!given_up(scan) && root.next(&pid)) {
    if (pid != self_ && !all_threads_known(pid)) walk_process(scan, pid);
  }
}

void TaskScan::walk_process(uint32_t scan, pid_t pid) {
  char path[32];
  snprintf(path, sizeof path, "%d/task", static_cast<int>(pid));
  note_reading(pid, 0, -1);
  int dir_fd = openat(root_fd_, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return;  // exited since the /proc listing
  ++dirs_opened_;
  PidDir dir(dir_fd, g_task_buf, sizeof g_task_buf);
  pid_t tid;
  while (!given_up(scan) && dir.next(&tid)) {
    if (known(tid)) continue;
    note_reading(pid, tid, kStatFile);
    TaskFiles f;
    f.pid = pid;
    f.tid = tid;
    f.fds[kStatFile] = open_task_file(dir_fd, tid, kStatFile);
    if (f.fds[kStatFile] < 0) continue;
    bool report = read_task_stat(f.fds[kStatFile], &g_text) && wanted(g_text.state);
    if (report) {
      note_reading(pid, tid, kStackFile);
      f.fds[kWchanFile] = open_task_file(dir_fd, tid, kWchanFile);
      f.fds[kStackFile] = open_task_file(dir_fd, tid, kStackFile);
      read_task_detail(f, &g_text);
    }
    close_task_files(&f);
    if (report && !emit(scan, tid, g_text)) break;
  }
  close(dir_fd);
}

bool TaskScan::emit(uint32_t scan, pid_t tid, const TaskText& text) {
  if (reported_ >= kMaxTasks) {
    ++skipped_;
    return true;
  }
  unsigned index = tail_ % kSlots;
  while (slot_state_[index].load(std::memory_order_acquire) != kFree) {
    if (given_up_.load(std::memory_order_acquire) == scan) return false;
    wait_for_main();  // the loop signals each slot it frees, and a scan it gives up
  }
  Slot& slot = slots_[index];
  slot.scan = scan;
  slot.len = build_task_payload(slot.payload, sizeof slot.payload, request_to_, tid, text);
  if (slot.len == 0) return true;
  slot_state_[index].store(kFull, std::memory_order_release);
  ++tail_;
  ++reported_;
  signal_fd(ready_fd_);
  return true;
}

// --- The serving loop ------------------------------------------------------------------------

bool TaskScan::begin(const ReplyTo& to, const char* states, size_t states_len) {
  if (!running_) {
    send_failed(to, ENOSYS, "scan-tasks: no scan thread (see the agent log)");
    return false;
  }
  if (active_) {
    send_failed(to, EBUSY, "scan-tasks: a scan is already running");
    return false;
  }
  if (finished_.load(std::memory_order_acquire) != scan_) {
    char where[192], what[256];
    describe_reading(where, sizeof where);
    snprintf(what, sizeof what, "scan-tasks: the last scan is still blocked in %s", where);
    send_failed(to, EBUSY, what);
    return false;
  }
  if (states_len == 0 || states_len >= sizeof states_) {
    send_failed(to, EINVAL, "scan-tasks: malformed request");
    return false;
  }
  // The thread is idle (finished_ == scan_): these are not read until requested_ changes.
  memcpy(states_, states, states_len);
  states_[states_len] = '\0';
  request_to_ = to;
  begun_ms_ = monotonic_ms();
  deadline_ms_ = begun_ms_ + kBudgetMs;
  to_ = to;
  sent_ = 0;
  active_ = true;
  requested_.store(++scan_, std::memory_order_release);
  signal_fd(work_fd_);
  return true;
}

int TaskScan::ms_until_deadline(int64_t now_ms) const {
  if (!active_) return -1;
  return now_ms >= deadline_ms_ ? 0 : static_cast<int>(deadline_ms_ - now_ms);
}

void TaskScan::collect(int64_t now_ms) {
  if (ready_fd_ < 0) return;
  uint64_t count;
  (void)read(ready_fd_, &count, sizeof count);
  // Read before the slots: every slot of a finished scan was filled before finished_ changed.
  bool ended = active_ && finished_.load(std::memory_order_acquire) == scan_;
  bool freed = false;
  for (;;) {
    unsigned index = head_ % kSlots;
    if (slot_state_[index].load(std::memory_order_acquire) != kFull) break;
    Slot& slot = slots_[index];
    if (active_ && slot.scan == scan_) {
      // Gated on the kOutput share (room left for replies and exits), queued as a reply.
      if (!outq().has_room_for(slot.len, Priority::kOutput)) break;
      outq().push(ap::MsgType::kTask, slot.payload, slot.len, Priority::kReply);
      ++sent_;
    }
    slot_state_[index].store(kFree, std::memory_order_release);
    ++head_;
    freed = true;
  }
  if (freed) signal_fd(work_fd_);
  if (!active_) return;
  bool drained = slot_state_[head_ % kSlots].load(std::memory_order_acquire) != kFull;
  if (ended && drained) {
    finish(now_ms, true);
  } else if (now_ms >= deadline_ms_) {
    given_up_.store(scan_, std::memory_order_release);
    signal_fd(work_fd_);
    finish(now_ms, false);
  }
}

void TaskScan::finish(int64_t now_ms, bool complete) {
  active_ = false;
  long long took = static_cast<long long>(now_ms - begun_ms_);
  if (complete) {
    agent_log(
        "scan-tasks: %d tasks (%d from open files, %d from a /proc walk that opened %d "
        "directories) in %lld ms; %d threads held open",
        sent_, from_cache_, sent_ - from_cache_, dirs_opened_, took, task_cache().open_tasks());
    if (skipped_ > 0) agent_log("scan-tasks: left out %d more tasks", skipped_);
  } else {
    char where[192];
    describe_reading(where, sizeof where);
    agent_log(
        "scan-tasks: answered after %lld ms with the %d tasks gathered; the scan thread "
        "is still in %s",
        took, sent_, where);
  }
  send_done(to_);
}

}  // namespace wedge::guest
