// The bisect itself: measure BAD's rate and bug, then for every commit git bisect offers, build
// it, run the scenario until Wald's test decides good or bad (or skip it when it does not build
// or boot), and mark it. Git and the steps are interfaces, so the loop is tested with scripts.
//
//   BisectRecord rec;  rec.settings = ...;            // or read_bisect_json() to resume
//   BisectEnd end = run_bisect(rec, runner, git, hooks, out_dir);
//   // rec.result.first_bad when end == BisectEnd::kFound
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "harness/bisect/bisect_record.h"
#include "harness/bisect/git_bisect.h"
#include "harness/bisect/step_runner.h"

namespace wedge::bisect {

enum class BisectEnd {
  kFound,        // rec.result.first_bad is the first bad commit (exit 0)
  kOnlySkipped,  // skipped commits hide it: rec.result.candidates (exit 125)
  kRefused,      // BAD does not build, boot or fail: nothing to bisect (exit 2)
  kInfraError,   // our tooling failed, or a step met too many infra errors (exit 125)
};

struct BisectHooks {
  std::function<void(const std::string& line)> progress = [](const std::string&) {};
  // Called after every run, build and mark: write bisect.json and bisect.html.
  std::function<Status(BisectRecord& rec)> save = [](BisectRecord&) { return ok_status(); };
};

// Runs (or resumes: rec.git_log not empty) the bisect described by rec.settings. Run folders
// go under out_dir (bad-<hash12>/r<k>, <hash12>/r<k>). rec.result says how it ended.
[[nodiscard]] BisectEnd run_bisect(BisectRecord& rec, StepRunner& runner, GitBisect& git,
                                   const BisectHooks& hooks, const std::filesystem::path& out_dir);

// The exit code for an end: 0 found, 2 refused, 125 otherwise.
[[nodiscard]] int exit_code_for(BisectEnd end);

// How a run counts against BAD's bug (RunRecord::counts_as), filling each finding's
// similarity and bads_bug.
[[nodiscard]] std::string classify_run(RunRecord& run, const BugKey& reference);

}  // namespace wedge::bisect
