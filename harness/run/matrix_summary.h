// From finished runs to the matrix summary: one entry per run, per-cell failure rates with
// Wilson intervals, the merge of shard summaries, and findings new since a baseline.
//
//   reports::CellSummary c = run::summarize_cell(cell, entries);   // c.failures, c.ci_high
//   WEDGE_TRY(reports::Summary all, run::merge_summaries({shard1, shard2}));
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/config/matrix_file.h"
#include "reports/run_reader.h"
#include "reports/summary.h"

namespace wedge::run {

// The summary entry of a finished run; dir is how the summary refers to it (relative).
[[nodiscard]] reports::RunEntry run_entry(const reports::RunRecord& record, int repeat,
                                          const std::string& dir);

// The entry of a run that left no readable report.json (the child crashed): an infra error.
[[nodiscard]] reports::RunEntry missing_run_entry(int repeat, const std::string& dir,
                                                  const std::string& why);

// Recomputes failures, counted, rate, interval and verdict mix from the cell's runs.
void tally(reports::CellSummary& cell);

[[nodiscard]] reports::CellSummary summarize_cell(const config::Cell& cell,
                                                  std::vector<reports::RunEntry> runs);

// Combines shard summaries of one matrix into the summary of the whole: cells in index order,
// shard cleared. Fails on summaries of different matrices, a cell in two shards, or (unless
// allow_partial) a cell in none.
[[nodiscard]] Result<reports::Summary> merge_summaries(const std::vector<reports::Summary>& shards,
                                                       bool allow_partial = false);

// Signatures seen in summary but not in baseline, in first-seen order.
[[nodiscard]] std::vector<std::string> new_findings(const reports::Summary& summary,
                                                    const reports::Summary& baseline);

// Every distinct finding signature in the summary, in first-seen order.
[[nodiscard]] std::vector<std::string> finding_signatures(const reports::Summary& summary);

}  // namespace wedge::run

namespace wedge::run {

// `wedge run --repeat R` exit code for `git bisect run`: runs that could not test the bug
// (infra errors, boot failures) are left out; none left: 125 (skip); a failure rate above
// threshold: 1 (bad); else 0 (good).
[[nodiscard]] int bisect_exit_code(const reports::CellSummary& cell, double threshold);

}  // namespace wedge::run
