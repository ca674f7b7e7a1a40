// Implementation of compare_bugs.h.
#include "harness/run/compare_bugs.h"

#include "harness/bisect/bug_key.h"
#include "reports/run_reader.h"

namespace wedge::run {

Result<std::vector<FailedRun>> failed_runs(const std::filesystem::path& root,
                                           const reports::CellSummary& cell) {
  std::vector<FailedRun> out;
  for (const reports::RunEntry& run : cell.runs) {
    if (run.exit_code != 1 || run.findings.empty()) continue;
    WEDGE_TRY(
        reports::RunRecord rec,
        reports::read_run(root / run.dir).context("reading run " + (root / run.dir).string()));
    if (rec.report.findings.empty()) continue;
    out.push_back({rec.report.findings.front(),
                   rec.signatures.empty() ? std::string() : rec.signatures.front()});
  }
  return out;
}

std::vector<BugComparison> compare_bugs(const std::vector<FailedRun>& base, int base_counted,
                                        const std::vector<FailedRun>& candidate,
                                        int candidate_counted) {
  std::vector<bisect::BugKey> keys;
  std::vector<const FailedRun*> runs;
  for (const auto* side : {&base, &candidate}) {
    for (const FailedRun& r : *side) {
      keys.push_back(bisect::bug_key_of(r.finding, r.signature));
      runs.push_back(&r);
    }
  }
  std::vector<BugComparison> rows;
  for (const auto& group : bisect::group_bugs(keys)) {
    BugComparison row;
    row.title = runs[group.front()]->finding.title;
    row.functions = bisect::key_functions(keys[group.front()], 3);
    for (size_t k : group) {
      (k < base.size() ? row.base_failures : row.candidate_failures) += 1;
    }
    row.result =
        classify_change(row.base_failures, base_counted, row.candidate_failures, candidate_counted);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace wedge::run
