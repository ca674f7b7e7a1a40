// The state of one bisect as plain data: what was asked, BAD's measured rate and bug, every
// step's build, runs and decision, and the result. bisect.json is this record (its schema:
// reports/schema/bisect.schema.json); it is written after every run, so that an interrupted
// bisect resumes from it.
//
//   WEDGE_TRY(BisectRecord rec, read_bisect_json(out / "bisect.json"));
//   WEDGE_CHECK(write_bisect_json(rec, out / "bisect.json"));
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/bisect/bug_key.h"
#include "harness/bisect/sprt.h"
#include "harness/bisect/step_runner.h"
#include "harness/util/result.h"

namespace wedge::bisect {

inline constexpr int kBisectSchemaVersion = 1;

// What the user asked for; a resumed bisect must ask the same.
struct BisectSettings {
  std::string tree;
  std::string scenario;
  std::string good;  // full hashes (resolved at start)
  std::string bad;
  double alpha = 0.05;
  double beta = 0.05;
  int max_runs_per_step = 30;  // counted runs (BAD's bug or pass) at which a step must decide
  int bad_runs = 6;            // runs on BAD to measure its rate...
  int bad_failures = 3;        // ...or fewer, once this many showed its bug
  int max_infra_errors = 3;    // per step; one more stops the bisect (exit 125)
  // More `wedge kernel build` options, the same for every step: {"--base", "tree", "--builtin"}.
  std::vector<std::string> build_args;
};

struct FindingRecord {
  std::string kind;
  std::string title;
  std::string signature;
  BugKey key;
  double similarity = 0;  // to BAD's bug
  bool bads_bug = false;
  std::vector<reports::StackGroup> stacks;  // kept for BAD's runs and the first bad commit
};

struct RunRecord {
  std::string dir;  // relative to the output folder
  RunEnd end = RunEnd::kInfraError;
  std::string verdict;
  std::string reason;
  double seconds = 0;
  std::vector<FindingRecord> findings;
  // How the run counts in the step's test: "bad" (BAD's bug), "pass", "other" (another bug:
  // censored, neither bad nor good), "none" (boot failure, infra error).
  std::string counts_as;
};

enum class StepRole { kBadReference, kBisect };
enum class StepDecision { kPending, kGood, kBad, kSkip };

struct StepRecord {
  std::string commit;
  std::string subject;
  StepRole role = StepRole::kBisect;
  std::optional<BuildOutcome> build;
  std::vector<RunRecord> runs;
  int counted = 0;   // runs that count: BAD's bug or pass
  int failures = 0;  // runs with BAD's bug
  int infra_errors = 0;
  double llr = 0;
  StepDecision decision = StepDecision::kPending;
  bool at_max_runs = false;
  std::string why;
};

// BAD's bug: what the runs of every step are matched against.
struct ReferenceBug {
  std::string title;
  std::string signature;
  BugKey key;
  std::vector<reports::StackGroup> stacks;
  double p_bad = 0;  // measured
  int runs = 0;      // counted BAD runs
  int failures = 0;
};

struct BisectResult {
  // "running", "found", "only_skipped", "refused" (BAD unusable), "infra_error"
  std::string state = "running";
  std::string message;
  std::string first_bad;
  std::string first_bad_subject;
  std::vector<std::string> candidates;  // only_skipped: the first bad commit is one of these
};

struct BisectRecord {
  BisectSettings settings;
  std::optional<ReferenceBug> reference;
  std::optional<SprtParams> sprt;
  std::vector<StepRecord> steps;
  std::string git_log;  // git bisect log after the last mark, for replay on resume
  BisectResult result;
  double wall_s = 0;  // this and earlier sessions
};

// Totals for the cost line and the report.
struct BisectCost {
  int builds = 0;
  int runs = 0;
  double build_s = 0;
  double run_s = 0;
};
[[nodiscard]] BisectCost cost_of(const BisectRecord& rec);

// The finding of BAD's bug on the first bad commit (its first run that met it); null before
// the end, or when git named a commit with no run of its own (then BAD's reference shows it).
[[nodiscard]] const FindingRecord* first_bad_finding(const BisectRecord& rec);

[[nodiscard]] nlohmann::json bisect_json(const BisectRecord& rec);
[[nodiscard]] Result<BisectRecord> bisect_from_json(const nlohmann::json& j);
[[nodiscard]] Status write_bisect_json(const BisectRecord& rec, const std::filesystem::path& path);
[[nodiscard]] Result<BisectRecord> read_bisect_json(const std::filesystem::path& path);

[[nodiscard]] const char* to_string(StepRole role);
[[nodiscard]] const char* to_string(StepDecision decision);

}  // namespace wedge::bisect
