// The StepRunner of a real bisect: `wedge kernel build TREE` and `wedge run SCENARIO --kernel
// BUILD --out DIR` as child processes of this wedge (argv, never a shell), their exit codes and
// report.json read back.
//
//   WedgeStepRunner runner({.wedge = "/usr/bin/wedge", .tree = tree, .scenario = "nbd-swap-hog"});
//   WEDGE_TRY(BuildOutcome b, runner.build(commit, out / "0123456789ab"));
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/bisect/step_runner.h"

namespace wedge::bisect {

struct WedgeStepOptions {
  std::filesystem::path wedge;  // this program
  std::filesystem::path tree;
  std::string scenario;
  std::vector<std::string> run_args;    // more wedge run options: {"--accel", "tcg"}
  std::vector<std::string> build_args;  // more wedge kernel build options: {"--builtin"}
};

class WedgeStepRunner : public StepRunner {
 public:
  explicit WedgeStepRunner(WedgeStepOptions options) : options_(std::move(options)) {}
  [[nodiscard]] Result<BuildOutcome> build(const std::string& commit,
                                           const std::filesystem::path& step_dir) override;
  [[nodiscard]] Result<RunOutcome> run(const std::string& kernel,
                                       const std::filesystem::path& run_dir) override;

 private:
  WedgeStepOptions options_;
};

// `wedge kernel build`'s answer from its exit code and stdout (contract: the last stdout line is
// the build folder; exit 0 built, 125 the build failed, anything else is our failure).
// build_outcome_of(0, "...\n/cache/kernels/ab12\n", "") == {built, "/cache/kernels/ab12"}
[[nodiscard]] Result<BuildOutcome> build_outcome_of(int exit_code, const std::string& out,
                                                    const std::string& err);

// `wedge run`'s answer from its exit code and the run folder's report.json.
[[nodiscard]] Result<RunOutcome> run_outcome_of(int exit_code,
                                                const std::filesystem::path& run_dir);

}  // namespace wedge::bisect
