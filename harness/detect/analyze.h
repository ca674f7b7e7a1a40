// Offline analysis of a saved console log (from a run, a real machine, a bug report): the
// same parser and the same verdict rules (verdict_rules.h) as a live run, minus the live
// signals. A plain dmesg without timestamps still yields what its messages and stacks show.
// Memory stays bounded whatever the log holds: it is read in chunks, findings are one per
// signature (at most kMaxFindings), and at most kMaxTasks task stacks are kept.
//
//   detect::Analysis a = detect::analyze_console_log(log);
//   a.verdict == reports::Verdict::kHang;  a.findings[0].subkind == "livelock";
//   WEDGE_TRY(auto b, detect::analyze_console_file("console.log"));
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"
#include "harness/traces/task_trace.h"
#include "harness/util/result.h"
#include "reports/report.h"

namespace wedge::detect {

struct Analysis {
  reports::Verdict verdict = reports::Verdict::kPass;
  std::string reason;
  std::vector<reports::Finding> findings;
};

struct AnalyzeOptions {
  bool oom_ok = false;
  // false: blocked tasks in a task dump are no hang by themselves (the run asked for the dump,
  // as it does of a server guest when its client hangs); the kernel's own reports still are.
  bool hangs_from_task_dumps = true;
};

inline constexpr size_t kMaxFindings = 64;
inline constexpr size_t kMaxTasks = 4096;

// Streams a log through the parser and the rules: feed() any split, then finish() once.
class LogAnalyzer {
 public:
  explicit LogAnalyzer(AnalyzeOptions options = {});
  ~LogAnalyzer();
  void feed(std::string_view bytes);
  [[nodiscard]] Analysis finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

[[nodiscard]] Analysis analyze_console_log(std::string_view log,
                                           const AnalyzeOptions& options = {});

// The same over a file, read 1 MiB at a time.
[[nodiscard]] Result<Analysis> analyze_console_file(const std::filesystem::path& path,
                                                    const AnalyzeOptions& options = {});

// From task stacks (any route): "livelock" when a running task spins in reclaim, "deadlock"
// when tasks are blocked and none spins, empty when there is nothing blocked or spinning.
[[nodiscard]] std::string hang_subkind(const std::vector<traces::TaskTrace>& tasks);

// Stack groups for a report: blocked (D) and running (R) tasks, the dumping task left out.
[[nodiscard]] std::vector<reports::StackGroup> report_stacks(
    const std::vector<traces::TaskTrace>& tasks);

}  // namespace wedge::detect
