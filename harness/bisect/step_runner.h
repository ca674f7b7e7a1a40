// What one bisect step does to a commit, behind an interface so that the decision loop is
// tested with scripted outcomes: build the checked-out kernel, then run the scenario on it.
// wedge_step_runner.h implements it with `wedge kernel build` and `wedge run` children.
//
//   WEDGE_TRY(BuildOutcome built, runner.build(commit, step_dir));
//   if (built.built) WEDGE_TRY(RunOutcome run, runner.run(built.kernel, step_dir / "r1"));
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "reports/report.h"

namespace wedge::bisect {

struct BuildOutcome {
  bool built = false;    // false: the commit does not build (it is skipped)
  std::string kernel;    // the build folder, for `wedge run --kernel`
  std::string log_tail;  // why it failed
  double seconds = 0;
};

// How one run ended, as wedge run's exit code and report.json say. Boot failures and infra
// errors are kept apart from findings: neither says anything about BAD's bug.
enum class RunEnd { kPass, kFinding, kBootFailure, kInfraError };

struct RunOutcome {
  RunEnd end = RunEnd::kInfraError;
  std::string verdict;  // report.json's verdict ("hang"), or "" when there is no report
  std::string reason;   // report.json's reason, or why there is no report
  std::vector<reports::Finding> findings;
  std::vector<std::string> signatures;  // one per finding
  double seconds = 0;
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // Builds the kernel of the checked-out `commit` (its log goes into step_dir). An error is our
  // own failure (infra); a commit that does not build is an outcome.
  [[nodiscard]] virtual Result<BuildOutcome> build(const std::string& commit,
                                                   const std::filesystem::path& step_dir) = 0;
  // Runs the scenario once on `kernel`, writing the run into run_dir.
  [[nodiscard]] virtual Result<RunOutcome> run(const std::string& kernel,
                                               const std::filesystem::path& run_dir) = 0;
};

[[nodiscard]] const char* to_string(RunEnd end);
[[nodiscard]] RunEnd parse_run_end(const std::string& name);

}  // namespace wedge::bisect
