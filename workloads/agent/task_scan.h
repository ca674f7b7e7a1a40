// kScanTasks: one kTask per thread whose state is in the requested set, then kDone. The
// reading happens on a helper thread ("wedge-scan"), never on the serving loop: in a wedged
// guest a read of /proc can block for good, and heartbeats and sysrq must go on regardless.
// The thread first reads the threads the task cache holds open (pread only, nothing to
// allocate), then walks /proc for threads the cache does not know. Finished kTask payloads
// pass through a ring of static slots; the serving loop queues them and answers kDone when the
// scan ends or its time budget is spent, whichever comes first: what was gathered by then
// goes out, and a thread stuck in the kernel is left to finish on its own.
//
//   TaskScan& scan = task_scan();
//   scan.start("/proc");                       // once, after mlockall
//   scan.begin(to, "DR", 2);                   // answers kFailed if one is still running
//   poll(scan.ready_fd(), timeout <= scan.ms_until_deadline(now)) -> scan.collect(now);
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "workloads/agent/proc_tasks.h"
#include "workloads/agent/replies.h"
#include "workloads/agent/task_cache.h"

namespace wedge::guest {

class TaskScan {
 public:
  // Tasks reported per scan at most; the rest are counted and logged.
  static constexpr int kMaxTasks = 2000;
  // kDone goes out this long after the request at the latest. The host waits 5 s for it
  // (harness/run/trace_collector.cpp) and keeps nothing of a scan that never ends.
  static constexpr int64_t kBudgetMs = 3000;
  static constexpr int kSlots = 4;

  // Opens proc_root (normally "/proc") and starts the thread. Returns 0 or an errno; scans
  // are then refused (ENOSYS) rather than run on the serving loop.
  [[nodiscard]] int start(const char* proc_root);

  // Starts a scan for the state letters in states (e.g. "DR"). False (after answering
  // kFailed) if one is running, the last one is still stuck in the kernel, or the request
  // is malformed.
  bool begin(const ReplyTo& to, const char* states, size_t states_len);
  [[nodiscard]] bool active() const { return active_; }
  // Readable when the thread filled a slot or finished; -1 before start().
  [[nodiscard]] int ready_fd() const { return ready_fd_; }
  // Milliseconds until the running scan's budget is spent; -1 when none runs.
  [[nodiscard]] int ms_until_deadline(int64_t now_ms) const;
  // Queues finished kTask payloads while the out queue has room, and ends the scan with
  // kDone once the thread is done or the budget is spent. Call after every poll round.
  void collect(int64_t now_ms);

 private:
  struct Slot {
    uint32_t scan = 0;
    size_t len = 0;
    uint8_t payload[kTaskPayloadCap] = {};
  };
  enum : int { kFree = 0, kFull = 1 };

  // The scan thread.
  static void* thread_main(void* self);
  void work();
  void wait_for_main();
  void run(uint32_t scan);
  void report_cached(uint32_t scan);
  void walk_proc(uint32_t scan);
  void walk_process(uint32_t scan, pid_t pid);
  [[nodiscard]] bool known(pid_t tid) const;
  void note_known(pid_t pid, pid_t tid, long threads);
  [[nodiscard]] bool all_threads_known(pid_t pid) const;
  [[nodiscard]] bool wanted(char state) const;
  [[nodiscard]] bool given_up(uint32_t scan) const;
  bool emit(uint32_t scan, pid_t tid, const TaskText& text);
  void note_reading(pid_t pid, pid_t tid, int which);
  // "/proc/PID/task/TID/stack": what the thread reads now (or its last read, when idle).
  void describe_reading(char* out, size_t cap) const;
  // The serving loop.
  void finish(int64_t now_ms, bool complete);

  Slot slots_[kSlots];
  std::atomic<int> slot_state_[kSlots] = {};
  unsigned head_ = 0;  // serving loop: the next slot to queue
  unsigned tail_ = 0;  // scan thread: the next slot to fill
  int work_fd_ = -1;   // eventfd, loop -> thread: a scan was asked for, or a slot came free
  int ready_fd_ = -1;  // eventfd, thread -> loop: a slot was filled, or the scan ended
  int root_fd_ = -1;
  pid_t self_ = 0;
  char root_[128] = {};
  bool running_ = false;

  // The request: written by the loop while the thread is idle, then published by requested_.
  ReplyTo request_to_;
  char states_[32] = {};
  int64_t deadline_ms_ = 0;
  std::atomic<uint32_t> requested_{0};
  std::atomic<uint32_t> finished_{0};  // the last scan the thread is done with
  std::atomic<uint32_t> given_up_{0};  // the last scan the loop answered without waiting

  // The thread's counts for its current scan, read by the loop once finished_ says so.
  int reported_ = 0;
  int from_cache_ = 0;
  int skipped_ = 0;
  // Threads read from the cache, which the /proc walk leaves out, and per process how many
  // of its threads that is against how many it has: the walk does not even list (open) the
  // task/ directory of a process whose threads are all known.
  struct KnownProcess {
    pid_t pid = 0;
    long threads = 0;  // from the leader's stat; 0: unknown
    int known = 0;
  };
  pid_t known_[TaskCache::kMaxTasks] = {};
  int known_count_ = 0;
  KnownProcess known_processes_[TaskCache::kMaxTasks] = {};
  int known_process_count_ = 0;
  int dirs_opened_ = 0;
  // What the thread is reading now, for the log when a scan is cut short.
  std::atomic<int> reading_pid_{0};
  std::atomic<int> reading_tid_{0};
  std::atomic<int> reading_file_{-1};

  // The serving loop's view of the running scan.
  ReplyTo to_;
  uint32_t scan_ = 0;
  bool active_ = false;
  int sent_ = 0;
  int64_t begun_ms_ = 0;
};

// The process-wide scanner (static storage).
TaskScan& task_scan();

}  // namespace wedge::guest
