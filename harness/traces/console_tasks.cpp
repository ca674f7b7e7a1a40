// Implementation of console_tasks.h: a walk over console events that remembers which dump
// header came last.
#include "harness/traces/console_tasks.h"

#include "harness/console/parser.h"

namespace wedge::traces {

bool starts_in_the_dumper(const std::vector<std::string>& frames) {
  return !frames.empty() && (frames.front().starts_with("sched_show_task") ||
                             frames.front().starts_with("show_state_filter"));
}

namespace {
// The sysrq handler prints the task it interrupted with its own frames on top: the dump
// (sched_show_task, show_state_filter), the keyboard or serial interrupt, then the entry stub
// (asm_common_interrupt, asm_sysvec_*). The task's own stack is what follows the stub.
std::vector<std::string> without_dumper_frames(std::vector<std::string> frames) {
  if (!starts_in_the_dumper(frames)) return frames;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].starts_with("asm_")) {
      frames.erase(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(i + 1));
      return frames;
    }
  }
  return frames;  // the dumping task itself (sysrq-trigger written from user space)
}
}  // namespace

void TaskTraceCollector::add(const console::Event& e) {
  switch (e.kind) {
    case console::EventKind::kSysrqDump:
      source_ = e.title.find("Blocked") != std::string::npos ? "sysrq-w" : "sysrq-t";
      break;
    case console::EventKind::kPanic:
      // Tasks printed after a panic come from panic_print, which the harness only gets
      // by injecting an NMI (unknown_nmi_panic=1).
      source_ = "nmi";
      break;
    case console::EventKind::kTaskStack:
    case console::EventKind::kHungTask: {
      if (tasks_.size() >= limit_) {
        ++dropped_;
        break;
      }
      TaskTrace t;
      t.pid = e.pid;
      t.comm = e.task;
      t.state = e.state;
      t.frames = without_dumper_frames(e.frames);
      t.source = e.kind == console::EventKind::kHungTask ? "hung_task" : source_;
      tasks_.push_back(std::move(t));
      break;
    }
    default:
      break;
  }
}

std::vector<TaskTrace> task_traces_from_events(const std::vector<console::Event>& events) {
  TaskTraceCollector collector;
  for (const auto& e : events) collector.add(e);
  return collector.take();
}

std::vector<TaskTrace> console_task_traces(std::string_view log) {
  return task_traces_from_events(console::parse_events(log));
}

}  // namespace wedge::traces
