// Offline analysis of a saved console log (from a run, a real machine, a bug report): the
// same parser and the same verdict rules as a live run, minus the live signals. A plain dmesg
// without timestamps still yields what its messages and stacks show.
//
//   detect::Analysis a = detect::analyze_console_log(log);
//   a.verdict == reports::Verdict::kHang;  a.findings[0].subkind == "livelock";
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"
#include "harness/traces/task_trace.h"
#include "reports/report.h"

namespace wedge::detect {

struct Analysis {
  reports::Verdict verdict = reports::Verdict::kPass;
  std::string reason;
  std::vector<reports::Finding> findings;
};

struct AnalyzeOptions {
  bool oom_ok = false;
};

[[nodiscard]] Analysis analyze_console_log(std::string_view log,
                                           const AnalyzeOptions& options = {});

// From task stacks (any route): "livelock" when a running task spins in reclaim, "deadlock"
// when tasks are blocked and none spins, empty when there is nothing blocked or spinning.
[[nodiscard]] std::string hang_subkind(const std::vector<traces::TaskTrace>& tasks);

// Stack groups for a report: blocked (D) and running (R) tasks, the dumping task left out.
[[nodiscard]] std::vector<reports::StackGroup> report_stacks(
    const std::vector<traces::TaskTrace>& tasks);

}  // namespace wedge::detect
