// The task cache: a helper thread ("wedge-tasks") that keeps /proc/PID/task/TID/{stat,wchan,
// stack} open for every thread it has seen, refreshed every few seconds while memory is fine,
// so a task scan at hang time can report those threads with pread alone: no open(), no dentry
// or inode to allocate. Threads that are gone from the listing have their files closed at the
// next refresh, and a refresh runs at once when the agent starts a job, so a workload that
// wedges the guest within a second of its start is held open too. The entries live in static
// storage with a fixed bound.
//
//   task_cache().start("/proc", 3000);                // once, after mlockall
//   task_cache().refresh_soon();                      // serving loop, after starting a job
//   { TaskCache::Lock lock; for (const TaskFiles& f : lock.tasks()) ... }   // the scan thread
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "workloads/agent/proc_tasks.h"

namespace wedge::guest {

class TaskCache {
 public:
  // Threads kept open at most (3 files each) and processes whose task/ directory stays open.
  static constexpr int kMaxTasks = 512;
  static constexpr int kMaxProcesses = 512;
  // Descriptors the cache may hold at most; start() raises RLIMIT_NOFILE to make room.
  static constexpr int kMaxFds = kMaxTasks * kTaskFileCount + kMaxProcesses;

  // Opens proc_root (normally "/proc"), raises RLIMIT_NOFILE and starts the thread, which
  // refreshes at once and then every refresh_ms. Returns 0 or an errno (not started).
  [[nodiscard]] int start(const char* proc_root, int refresh_ms);
  [[nodiscard]] bool running() const { return running_; }
  // Asks for a refresh now (and a second one shortly after): a job was just started.
  // Serving loop only; never blocks.
  void refresh_soon();

  // Holds the entries still while a scan reads them; the cache thread only takes it to add or
  // drop entries, never while it opens or reads a file.
  class Lock {
   public:
    Lock();
    ~Lock();
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;
    // Every slot, free ones included (tid == 0).
    [[nodiscard]] std::span<const TaskFiles> tasks() const;
  };

  // For the agent's log (read from any thread): threads open now, refreshes finished, and
  // threads left out of the last refresh for want of room.
  [[nodiscard]] int open_tasks() const { return open_tasks_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint32_t refreshes() const { return refreshes_.load(std::memory_order_relaxed); }
  [[nodiscard]] int left_out() const { return left_out_.load(std::memory_order_relaxed); }

 private:
  struct Process {
    pid_t pid = 0;  // 0: free
    int task_dir_fd = -1;
  };

  static void* thread_main(void* self);
  void work();
  void refresh();
  void refresh_process(Process& p);
  void add_task(const TaskFiles& f);
  void drop_task(int index);
  void drop_unseen(bool listing_complete);
  int find_task(pid_t tid) const;
  Process* find_or_open_process(pid_t pid);

  // Written by the cache thread only (under mutex_ when scans may be looking).
  TaskFiles tasks_[kMaxTasks];
  // The cache thread's own bookkeeping, never read elsewhere.
  uint32_t task_seen_[kMaxTasks] = {};
  Process processes_[kMaxProcesses];
  uint32_t process_seen_[kMaxProcesses] = {};
  uint32_t round_ = 0;
  int used_ = 0;
  int capacity_ = kMaxTasks;  // lower if RLIMIT_NOFILE could not be raised enough
  int left_out_now_ = 0;

  pthread_mutex_t mutex_ = PTHREAD_MUTEX_INITIALIZER;
  int root_fd_ = -1;
  int kick_fd_ = -1;  // eventfd, serving loop -> cache thread: refresh now
  int refresh_ms_ = 3000;
  pid_t self_ = 0;
  bool running_ = false;
  std::atomic<int> open_tasks_{0};
  std::atomic<uint32_t> refreshes_{0};
  std::atomic<int> left_out_{0};
};

// The process-wide cache (static storage).
TaskCache& task_cache();

}  // namespace wedge::guest
