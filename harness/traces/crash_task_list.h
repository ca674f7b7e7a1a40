// Parses crash's `list task_struct.tasks -s task_struct.pid,comm,__state -h init_task` output
// into tasks with ps-style state letters. wedge lists tasks this way because crash 8.0.2
// (Debian bookworm) cannot build its task table for 6.1 stable kernels (`ps` shows only
// swapper), while walking the list by hand works.
//
//   auto tasks = traces::parse_crash_task_list(out);   // [{addr, pid 1, "init", 'D'}, ...]
//   std::string table = traces::format_dump_tasks(tasks);  // D and R first
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wedge::traces {

struct DumpTask {
  uint64_t task = 0;  // task_struct address
  int pid = 0;
  std::string comm;
  char state = '?';  // R S D T t X Z I, '?' for an unknown __state value
  bool operator==(const DumpTask&) const = default;
};

// The commands that produce what parse_crash_task_list reads.
inline constexpr std::string_view kCrashTaskListCommand =
    "list task_struct.tasks -s task_struct.pid,comm,__state -h init_task";

// ps-style letter for a task_struct __state value (0 R, 1 S, 2 D, 0x402 I...).
[[nodiscard]] char task_state_letter(uint64_t state);

// Lines that are not part of a task record (crash's warnings) are skipped.
[[nodiscard]] std::vector<DumpTask> parse_crash_task_list(std::string_view text);

// "  PID  ST  TASK              COMM" table, D tasks first, then R, then the rest by pid.
[[nodiscard]] std::string format_dump_tasks(const std::vector<DumpTask>& tasks);

}  // namespace wedge::traces
