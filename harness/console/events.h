// Kernel console events: what the parser recognises in console bytes. Plain data.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wedge::console {

enum class EventKind {
  kHungTask,          // "INFO: task X:PID blocked for more than N seconds."
  kSoftLockup,        // "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
  kHardLockup,        // "Watchdog detected hard LOCKUP on cpu N"
  kRcuStall,          // "rcu: INFO: rcu_sched detected stalls"
  kWorkqueueLockup,   // "BUG: workqueue lockup"
  kOops,              // "Oops:", NULL dereference, page fault in kernel
  kBug,               // "kernel BUG at file:line!"
  kWarning,           // "WARNING: CPU: 0 PID: 1 at file:line func"
  kGpf,               // "general protection fault"
  kKasan,             // "BUG: KASAN: ..."
  kSanitizer,         // KMSAN, KCSAN, KFENCE, UBSAN reports
  kLockdep,           // "possible circular locking dependency", "inconsistent lock state", ...
  kAtomicContext,     // "sleeping function called from invalid context", "scheduling while atomic"
  kMemoryLeak,        // kmemleak's "BUG: memory leak"
  kPanic,             // "Kernel panic - not syncing: ..."
  kOomKill,           // "Out of memory: Killed process PID (comm)"
  kNbdStuckRequest,   // "block nbd0: Possible stuck request ..."
  kIoError,           // "I/O error, dev nbd0, sector ..." / "Read-error on swap-device"
  kNfsNotResponding,  // "nfs: server X not responding"
  kIscsiTimeout,      // "connection1:0: ping timeout" / "detected conn error" / "timed out"
  kSysrqDump,         // "sysrq: Show Blocked State" / "sysrq: Show State"
  kTaskStack,         // "task:NAME state:D ..." followed by its stack (sysrq-w/t output)
};

[[nodiscard]] const char* to_string(EventKind kind);

// The finding a kernel message stands for: "crash", "hang", "oom_kill", "io_error", or ""
// for messages that are evidence only (stuck requests, sysrq dumps, task stacks).
[[nodiscard]] const char* finding_kind(EventKind kind);

struct Event {
  EventKind kind;
  std::string title;    // "KIND in FUNC" where a frame is blamed: `report` + " in " + `blamed`
  std::string report;   // the report class part of the title ("KASAN: use-after-free Read")
  std::string blamed;   // the blamed function, without compiler suffixes; "" if none
  std::string context;  // printk caller id of the header line ("T31", "C0"), if printed
  int line = 0;         // 1-based line in the console log where it starts
  std::optional<double> timestamp_s;  // the kernel's printk time, when printed
  std::string task;                   // task name, when known
  int pid = 0;
  std::string state;                // task state letter/word for task stacks ("D", "R")
  std::vector<std::string> frames;  // reliable frames, innermost first ("io_schedule")
  std::string detail;               // the matched line without its timestamp
};

}  // namespace wedge::console
