// kScanTasks: walks /proc (and each process's task/ directory) with raw getdents64 into static
// buffers and sends one kTask per thread whose state is in the requested set, then kDone.
// The walk is resumable: step() does a bounded amount of work and stops while the out queue
// is short of room, so a scan of thousands of tasks never delays a heartbeat or a sysrq.
// Never forks, never allocates; tasks that vanish mid-scan are skipped.
//
//   TaskScan& scan = task_scan();
//   scan.begin(to, "DR");                    // answers kFailed if a scan is already running
//   while (scan.active()) scan.step(64);     // one call per poll round in the serving loop
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "workloads/agent/replies.h"

namespace wedge::guest {

class TaskScan {
 public:
  // Tasks reported per scan at most; the rest are counted and logged.
  static constexpr int kMaxTasks = 2000;
  static constexpr size_t kMaxStack = 8 * 1024;

  // Starts a scan for the state letters in states (e.g. "DR"). False (after answering
  // kFailed) if one is already running or /proc cannot be opened.
  bool begin(const ReplyTo& to, const char* states, size_t states_len);
  [[nodiscard]] bool active() const { return dir_fd_ >= 0; }
  // True if step() could make progress now (the out queue has room for a task).
  [[nodiscard]] bool can_step() const;
  // Visits up to max_processes /proc entries; finishes the scan with kDone at the end.
  void step(int max_processes);

 private:
  void finish();
  void scan_process(pid_t pid);
  void report_task(pid_t pid, pid_t tid);
  bool next_entry(pid_t* pid);

  ReplyTo to_;
  char states_[32] = {};
  int dir_fd_ = -1;
  size_t buf_pos_ = 0;
  size_t buf_len_ = 0;
  bool dir_eof_ = false;
  int reported_ = 0;
  int skipped_ = 0;  // matching tasks beyond kMaxTasks
  pid_t self_ = 0;
};

// The process-wide scanner (static storage).
TaskScan& task_scan();

}  // namespace wedge::guest
