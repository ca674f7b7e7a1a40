// Cell-by-cell classification of two summaries, what differs between the sides, and the text
// and JSON forms.
#include "harness/run/compare.h"

#include <algorithm>
#include <optional>

namespace wedge::run {

namespace {

std::optional<std::string> value_of(const std::vector<config::AxisSetting>& settings,
                                    const std::string& key) {
  for (const auto& s : settings) {
    if (s.key == key) return s.value;
  }
  return std::nullopt;
}

constexpr const char* kMatrixAsWritten = "as the matrix has it";

nlohmann::json bugs_json(const std::vector<BugComparison>& bugs) {
  nlohmann::json out = nlohmann::json::array();
  for (const BugComparison& b : bugs) {
    out.push_back({{"title", b.title},
                   {"functions", b.functions},
                   {"base_failures", b.base_failures},
                   {"candidate_failures", b.candidate_failures},
                   {"p_value", b.result.p_value},
                   {"change", to_string(b.result.change)}});
  }
  return out;
}

nlohmann::json side_json(const std::vector<config::AxisSetting>& settings) {
  nlohmann::json set = nlohmann::json::object();
  for (const auto& s : settings) set[s.key] = s.value;
  return {{"settings", set}, {"description", describe_side(settings)}};
}

}  // namespace

std::string describe_side(const std::vector<config::AxisSetting>& settings) {
  return settings.empty() ? kMatrixAsWritten : config::describe_settings(settings);
}

std::vector<std::string> differing_keys(const CompareSides& sides) {
  std::vector<std::string> keys;
  for (const auto& key : config::axis_setting_keys()) {
    if (value_of(sides.base, key) != value_of(sides.candidate, key)) keys.push_back(key);
  }
  return keys;
}

std::string describe_difference(const CompareSides& sides) {
  std::string out;
  for (const auto& key : differing_keys(sides)) {
    out += fmt::format("{}{}: {} -> {}", out.empty() ? "" : "; ", key,
                       value_of(sides.base, key).value_or(kMatrixAsWritten),
                       value_of(sides.candidate, key).value_or(kMatrixAsWritten));
  }
  return out.empty() ? "nothing (the same matrix twice)" : out;
}

std::vector<CellComparison> compare_summaries(const reports::Summary& base,
                                              const reports::Summary& candidate) {
  std::vector<CellComparison> rows;
  for (const auto& b : base.cells) {
    auto c = std::find_if(candidate.cells.begin(), candidate.cells.end(),
                          [&](const auto& x) { return x.index == b.index; });
    if (c == candidate.cells.end()) continue;
    CellComparison row{b.id, c->id, b.failures, b.counted, c->failures, c->counted, {}, {}};
    row.result = classify_change(b.failures, b.counted, c->failures, c->counted);
    rows.push_back(row);
  }
  return rows;
}

Status add_bug_rows(std::vector<CellComparison>& rows, const std::filesystem::path& base_root,
                    const reports::Summary& base, const std::filesystem::path& candidate_root,
                    const reports::Summary& candidate) {
  auto cell_of = [](const reports::Summary& s, const std::string& id) {
    auto it =
        std::find_if(s.cells.begin(), s.cells.end(), [&](const auto& c) { return c.id == id; });
    return it == s.cells.end() ? nullptr : &*it;
  };
  for (CellComparison& row : rows) {
    const reports::CellSummary* b = cell_of(base, row.cell);
    const reports::CellSummary* c = cell_of(candidate, row.candidate_cell);
    if (b == nullptr || c == nullptr) continue;
    WEDGE_TRY(std::vector<FailedRun> base_runs, failed_runs(base_root, *b));
    WEDGE_TRY(std::vector<FailedRun> candidate_runs, failed_runs(candidate_root, *c));
    row.bugs = compare_bugs(base_runs, b->counted, candidate_runs, c->counted);
  }
  return {};
}

bool any_regressed(const std::vector<CellComparison>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const auto& r) {
    return r.result.change == Change::kRegressed ||
           std::any_of(r.bugs.begin(), r.bugs.end(),
                       [](const auto& b) { return b.result.change == Change::kRegressed; });
  });
}

std::string compare_text(const std::vector<CellComparison>& rows, const CompareSides& sides) {
  std::string out =
      fmt::format("base:      {}\ncandidate: {}\ndiffers:   {}\n\n", describe_side(sides.base),
                  describe_side(sides.candidate), describe_difference(sides));
  out += fmt::format("{:<48} {:>9} {:>9} {:>8}  {}\n", "cell", "base", "candidate", "p", "change");
  for (const auto& r : rows) {
    out += fmt::format("{:<48} {:>9} {:>9} {:>8.4f}  {}\n", r.cell,
                       fmt::format("{}/{}", r.base_failures, r.base_counted),
                       fmt::format("{}/{}", r.candidate_failures, r.candidate_counted),
                       r.result.p_value, to_string(r.result.change));
    for (const BugComparison& b : r.bugs) {
      out += fmt::format("  bug {:<44} {:>9} {:>9} {:>8.4f}  {}\n", b.title,
                         fmt::format("{}/{}", b.base_failures, r.base_counted),
                         fmt::format("{}/{}", b.candidate_failures, r.candidate_counted),
                         b.result.p_value, to_string(b.result.change));
    }
  }
  return out;
}

nlohmann::json compare_json(const std::vector<CellComparison>& rows, const CompareSides& sides) {
  nlohmann::json cells = nlohmann::json::array();
  for (const auto& r : rows) {
    cells.push_back({{"cell", r.cell},
                     {"base", {{"failures", r.base_failures}, {"runs", r.base_counted}}},
                     {"candidate",
                      {{"cell", r.candidate_cell},
                       {"failures", r.candidate_failures},
                       {"runs", r.candidate_counted}}},
                     {"p_value", r.result.p_value},
                     {"change", to_string(r.result.change)},
                     {"bugs", bugs_json(r.bugs)}});
  }
  nlohmann::json doc = {{"schema_version", 2},
                        {"kind", "compare"},
                        {"base", side_json(sides.base)},
                        {"candidate", side_json(sides.candidate)},
                        {"differs", differing_keys(sides)},
                        {"difference", describe_difference(sides)},
                        {"test",
                         "Fisher's exact test, two-sided; regressed/fixed at p < 0.05, "
                         "inconclusive at p < 0.5"},
                        {"regressed", any_regressed(rows)},
                        {"cells", cells}};
  // Kept from schema 1 for readers that only know two-kernel compares.
  if (auto k = value_of(sides.base, "kernel")) doc["base_kernel"] = *k;
  if (auto k = value_of(sides.candidate, "kernel")) doc["candidate_kernel"] = *k;
  return doc;
}

}  // namespace wedge::run
