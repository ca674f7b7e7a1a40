// One task's stack as a trace collector found it, whatever the route (agent task scan,
// sysrq-w, sysrq-t, NMI-panic task dump). Plain data shared by the traces parsers.
#pragma once

#include <string>
#include <vector>

namespace wedge::traces {

struct TaskTrace {
  int pid = 0;
  std::string comm;
  std::string state;                // "D", "R", "S", ... as the kernel printed it
  std::string wchan;                // where it sleeps (agent only; empty otherwise)
  std::vector<std::string> frames;  // function names, innermost first, unreliable ("?") dropped
  // Where it came from: "agent", "sysrq-w", "sysrq-t", "nmi", "hung_task" (the stack of a
  // hung-task warning), or "console" (a task dump with no recognisable header before it).
  std::string source;
  bool operator==(const TaskTrace&) const = default;
};

// "comm:pid", how reports and stack groups name a task.
[[nodiscard]] inline std::string task_label(const TaskTrace& t) {
  return t.comm + ":" + std::to_string(t.pid);
}

}  // namespace wedge::traces
