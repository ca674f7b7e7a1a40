// Per-bug rates of a compare: each failing run's first finding is keyed by its task stacks
// (bisect/bug_key.h) and grouped with the other runs of both sides, so one bug keeps one row
// even when its runs were titled differently, and a regression in one bug is not hidden by
// another bug's noise (issue 18: the stock kernel's refill_work deadlock on the base side, the
// dropped NBD reserves on the candidate side, both failing every run).
//
//   auto base = run::failed_runs(root / "base", base_cell);
//   auto candidate = run::failed_runs(root / "candidate", candidate_cell);
//   auto bugs = run::compare_bugs(*base, base_cell.counted, *candidate, candidate_cell.counted);
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/run/stats.h"
#include "reports/report.h"
#include "reports/summary.h"

namespace wedge::run {

// The finding a failing run is remembered by: its first (the one its verdict came from).
struct FailedRun {
  reports::Finding finding;
  std::string signature;
};

struct BugComparison {
  std::string title;                   // the bug's first finding, base side first
  std::vector<std::string> functions;  // what tells it apart: its heaviest stack functions
  int base_failures = 0;
  int candidate_failures = 0;
  Comparison result;  // against the side's counted runs
};

// The cell's runs that failed with a finding, read from root / run.dir / report.json. A run
// folder that cannot be read is an error naming it.
[[nodiscard]] Result<std::vector<FailedRun>> failed_runs(const std::filesystem::path& root,
                                                         const reports::CellSummary& cell);

// One row per bug, in first-seen order (base runs first).
[[nodiscard]] std::vector<BugComparison> compare_bugs(const std::vector<FailedRun>& base,
                                                      int base_counted,
                                                      const std::vector<FailedRun>& candidate,
                                                      int candidate_counted);

}  // namespace wedge::run
