// Task stacks out of console text: the per-task dumps of sysrq-w ("Show Blocked State"),
// sysrq-t ("Show State") and an NMI panic with panic_print, plus the stacks of hung-task
// warnings. Built on console::ConsoleScanner's kTaskStack and kHungTask events, so the
// console is parsed by one parser only.
//
//   std::vector<TaskTrace> tasks = traces::console_task_traces(console_log);
//   auto groups = traces::group_stacks(tasks);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"
#include "harness/traces/task_trace.h"

namespace wedge::traces {

// True when a stack starts in the sysrq dumper's own frames (sched_show_task,
// show_state_filter). The console's tasks have had them cut off where the dump interrupted the
// task; what still starts there is the task that printed the dump (it wrote sysrq-trigger).
[[nodiscard]] bool starts_in_the_dumper(const std::vector<std::string>& frames);

// The tasks of every dump in a whole console log, in log order. A task dumped twice (sysrq-w
// then sysrq-t) appears twice, with different sources.
[[nodiscard]] std::vector<TaskTrace> console_task_traces(std::string_view log);

// The same from events already parsed (e.g. by the run's live ConsoleScanner). Each task's
// source is set by the dump header event before it: "sysrq: Show Blocked State" -> "sysrq-w",
// "sysrq: Show State" -> "sysrq-t", a kernel panic -> "nmi"; "console" if none came before.
[[nodiscard]] std::vector<TaskTrace> task_traces_from_events(
    const std::vector<console::Event>& events);

// The same one event at a time, keeping at most `limit` tasks (a console can print millions).
class TaskTraceCollector {
 public:
  explicit TaskTraceCollector(size_t limit = SIZE_MAX) : limit_(limit) {}
  void add(const console::Event& event);
  [[nodiscard]] const std::vector<TaskTrace>& tasks() const { return tasks_; }
  [[nodiscard]] std::vector<TaskTrace> take() { return std::move(tasks_); }
  [[nodiscard]] size_t dropped() const { return dropped_; }

 private:
  size_t limit_;
  size_t dropped_ = 0;
  std::string source_ = "console";
  std::vector<TaskTrace> tasks_;
};

}  // namespace wedge::traces
