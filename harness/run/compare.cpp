// Cell-by-cell classification of two summaries and its text and JSON forms.
#include "harness/run/compare.h"

#include <algorithm>

namespace wedge::run {

std::vector<CellComparison> compare_summaries(const reports::Summary& base,
                                              const reports::Summary& candidate) {
  std::vector<CellComparison> rows;
  for (const auto& b : base.cells) {
    auto c = std::find_if(candidate.cells.begin(), candidate.cells.end(),
                          [&](const auto& x) { return x.index == b.index; });
    if (c == candidate.cells.end()) continue;
    CellComparison row{b.id, b.failures, b.counted, c->failures, c->counted, {}};
    row.result = classify_change(b.failures, b.counted, c->failures, c->counted);
    rows.push_back(row);
  }
  return rows;
}

bool any_regressed(const std::vector<CellComparison>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [](const auto& r) { return r.result.change == Change::kRegressed; });
}

std::string compare_text(const std::vector<CellComparison>& rows) {
  std::string out =
      fmt::format("{:<48} {:>9} {:>9} {:>8}  {}\n", "cell", "base", "candidate", "p", "change");
  for (const auto& r : rows) {
    out += fmt::format("{:<48} {:>9} {:>9} {:>8.4f}  {}\n", r.cell,
                       fmt::format("{}/{}", r.base_failures, r.base_counted),
                       fmt::format("{}/{}", r.candidate_failures, r.candidate_counted),
                       r.result.p_value, to_string(r.result.change));
  }
  return out;
}

nlohmann::json compare_json(const std::vector<CellComparison>& rows, const std::string& base_kernel,
                            const std::string& candidate_kernel) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& r : rows) {
    cells.push_back(
        {{"cell", r.cell},
         {"base", {{"failures", r.base_failures}, {"runs", r.base_counted}}},
         {"candidate", {{"failures", r.candidate_failures}, {"runs", r.candidate_counted}}},
         {"p_value", r.result.p_value},
         {"change", to_string(r.result.change)}});
  }
  return {{"schema_version", 1},
          {"kind", "compare"},
          {"base_kernel", base_kernel},
          {"candidate_kernel", candidate_kernel},
          {"test",
           "Fisher's exact test, two-sided; regressed/fixed at p < 0.05, inconclusive "
           "at p < 0.5"},
          {"regressed", any_regressed(rows)},
          {"cells", cells}};
}

}  // namespace wedge::run
