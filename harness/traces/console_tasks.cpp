// Implementation of console_tasks.h: a walk over console events that remembers which dump
// header came last.
#include "harness/traces/console_tasks.h"

#include "harness/console/parser.h"

namespace wedge::traces {

std::vector<TaskTrace> task_traces_from_events(const std::vector<console::Event>& events) {
  std::vector<TaskTrace> out;
  std::string source = "console";
  for (const console::Event& e : events) {
    switch (e.kind) {
      case console::EventKind::kSysrqDump:
        source = e.title.find("Blocked") != std::string::npos ? "sysrq-w" : "sysrq-t";
        break;
      case console::EventKind::kPanic:
        // Tasks printed after a panic come from panic_print, which the harness only gets
        // by injecting an NMI (unknown_nmi_panic=1).
        source = "nmi";
        break;
      case console::EventKind::kTaskStack:
      case console::EventKind::kHungTask: {
        TaskTrace t;
        t.pid = e.pid;
        t.comm = e.task;
        t.state = e.state;
        t.frames = e.frames;
        t.source = e.kind == console::EventKind::kHungTask ? "hung_task" : source;
        out.push_back(std::move(t));
        break;
      }
      default:
        break;
    }
  }
  return out;
}

std::vector<TaskTrace> console_task_traces(std::string_view log) {
  return task_traces_from_events(console::parse_events(log));
}

}  // namespace wedge::traces
