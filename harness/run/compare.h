// A/B compare of two variants of one matrix (two kernels, or any axis set differently on each
// side): per cell, the two failure rates, Fisher's exact p-value and the classification
// (regressed / fixed / no change / inconclusive), and what differs between the sides.
//
//   run::CompareSides sides{.base = {{"fault", "none"}}, .candidate = {}};
//   auto rows = run::compare_summaries(base, candidate);
//   fmt::print("{}", run::compare_text(rows, sides));   // exit 1 if run::any_regressed(rows)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/config/axis_settings.h"
#include "harness/run/compare_bugs.h"
#include "harness/run/stats.h"
#include "reports/summary.h"

namespace wedge::run {

// What each side sets on top of the matrix (empty: the matrix as written).
struct CompareSides {
  std::vector<config::AxisSetting> base;
  std::vector<config::AxisSetting> candidate;
};

// One side in words: "fault=none", or "as the matrix has it".
[[nodiscard]] std::string describe_side(const std::vector<config::AxisSetting>& settings);

// The keys whose value differs between the sides, in axis order; a key set on one side only
// differs (the other side keeps the matrix's value). Empty: the sides are the same.
[[nodiscard]] std::vector<std::string> differing_keys(const CompareSides& sides);

// "fault: none -> as the matrix has it; kernel: A -> B", or "nothing (the same matrix twice)".
[[nodiscard]] std::string describe_difference(const CompareSides& sides);

struct CellComparison {
  std::string cell;            // the base cell's id
  std::string candidate_cell;  // the candidate cell's id (differs when a side sets an axis)
  int base_failures = 0, base_counted = 0;
  int candidate_failures = 0, candidate_counted = 0;
  Comparison result;
  std::vector<BugComparison> bugs;  // per bug (add_bug_rows); a regressed bug regresses the cell
};

// Pairs cells by their expansion index (both sides expand the same scenarios in one order).
[[nodiscard]] std::vector<CellComparison> compare_summaries(const reports::Summary& base,
                                                            const reports::Summary& candidate);
// Fills each row's bugs from the runs under base_root and candidate_root (the two summaries'
// folders). A run that cannot be read is an error naming it.
[[nodiscard]] Status add_bug_rows(std::vector<CellComparison>& rows,
                                  const std::filesystem::path& base_root,
                                  const reports::Summary& base,
                                  const std::filesystem::path& candidate_root,
                                  const reports::Summary& candidate);
// True when a cell, or one bug of a cell, regressed.
[[nodiscard]] bool any_regressed(const std::vector<CellComparison>& rows);
// The sides and their difference, then one line per cell.
[[nodiscard]] std::string compare_text(const std::vector<CellComparison>& rows,
                                       const CompareSides& sides);
[[nodiscard]] nlohmann::json compare_json(const std::vector<CellComparison>& rows,
                                          const CompareSides& sides);

}  // namespace wedge::run
