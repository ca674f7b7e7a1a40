// A/B compare of two kernels on the same matrix: per cell, the two failure rates, Fisher's
// exact p-value and the classification (regressed / fixed / no change / inconclusive).
//
//   auto rows = run::compare_summaries(base, candidate);
//   fmt::print("{}", run::compare_text(rows));   // exit 1 if run::any_regressed(rows)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/run/stats.h"
#include "reports/summary.h"

namespace wedge::run {

struct CellComparison {
  std::string cell;  // the base cell's id
  int base_failures = 0, base_counted = 0;
  int candidate_failures = 0, candidate_counted = 0;
  Comparison result;
};

// Pairs cells by their expansion index (the two sides differ only in the kernel).
[[nodiscard]] std::vector<CellComparison> compare_summaries(const reports::Summary& base,
                                                            const reports::Summary& candidate);
[[nodiscard]] bool any_regressed(const std::vector<CellComparison>& rows);
[[nodiscard]] std::string compare_text(const std::vector<CellComparison>& rows);
[[nodiscard]] nlohmann::json compare_json(const std::vector<CellComparison>& rows,
                                          const std::string& base_kernel,
                                          const std::string& candidate_kernel);

}  // namespace wedge::run
