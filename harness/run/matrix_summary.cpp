// Summary building and shard merging: pure functions over run entries.
#include "harness/run/matrix_summary.h"

#include <algorithm>
#include <set>

#include "harness/run/stats.h"

namespace wedge::run {

reports::RunEntry run_entry(const reports::RunRecord& record, int repeat, const std::string& dir) {
  const reports::RunReport& r = record.report;
  reports::RunEntry e;
  e.repeat = repeat;
  e.dir = dir;
  e.verdict = reports::to_string(r.verdict);
  e.exit_code = reports::exit_code_for(r.verdict);
  e.run_s = r.run_s;
  e.started_at = r.started_at;
  e.kernel_release = r.kernel_release;
  e.reason = r.reason;
  for (size_t i = 0; i < r.findings.size(); ++i) {
    e.findings.push_back({r.findings[i].kind, r.findings[i].title, record.signatures[i]});
  }
  return e;
}

reports::RunEntry missing_run_entry(int repeat, const std::string& dir, const std::string& why) {
  reports::RunEntry e;
  e.repeat = repeat;
  e.dir = dir;
  e.verdict = reports::to_string(reports::Verdict::kInfraError);
  e.exit_code = reports::exit_code_for(reports::Verdict::kInfraError);
  e.reason = why;
  return e;
}

void tally(reports::CellSummary& cell) {
  cell.failures = 0;
  cell.counted = 0;
  cell.verdicts.clear();
  for (const auto& r : cell.runs) {
    ++cell.verdicts[r.verdict];
    if (r.exit_code == 125) continue;  // could not test: neither pass nor fail
    ++cell.counted;
    if (r.exit_code != 0) ++cell.failures;
  }
  cell.rate = cell.counted ? static_cast<double>(cell.failures) / cell.counted : 0;
  Interval ci = wilson_interval(cell.failures, cell.counted);
  cell.ci_low = ci.low;
  cell.ci_high = ci.high;
}

reports::CellSummary summarize_cell(const config::Cell& cell, std::vector<reports::RunEntry> runs) {
  reports::CellSummary c;
  c.index = cell.index;
  c.id = cell.id;
  c.scenario = cell.scenario;
  c.axes = cell.axes;
  c.labels = cell.labels;
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.repeat < b.repeat; });
  c.runs = std::move(runs);
  tally(c);
  return c;
}

Result<reports::Summary> merge_summaries(const std::vector<reports::Summary>& shards,
                                         bool allow_partial) {
  if (shards.empty()) return make_error("nothing to merge");
  reports::Summary out = shards.front();
  out.shard.clear();
  out.cells.clear();
  out.new_findings.clear();
  std::set<int> seen;
  for (const auto& s : shards) {
    if (s.name != out.name || s.cell_total != out.cell_total || s.repeat != out.repeat) {
      return make_error(
          "summaries of different matrices: {} ({} cells, repeat {}) and {} ({} "
          "cells, repeat {})",
          out.name, out.cell_total, out.repeat, s.name, s.cell_total, s.repeat);
    }
    out.created_at = std::max(out.created_at, s.created_at);
    for (const auto& c : s.cells) {
      if (!seen.insert(c.index).second) {
        return make_error("cell {} ({}) is in more than one summary", c.index, c.id);
      }
      out.cells.push_back(c);
    }
    for (const auto& f : s.new_findings) {
      if (std::find(out.new_findings.begin(), out.new_findings.end(), f) ==
          out.new_findings.end()) {
        out.new_findings.push_back(f);
      }
    }
  }
  std::sort(out.cells.begin(), out.cells.end(),
            [](const auto& a, const auto& b) { return a.index < b.index; });
  if (!allow_partial && static_cast<int>(out.cells.size()) != out.cell_total) {
    std::string missing;
    for (int i = 0; i < out.cell_total; ++i) {
      if (!seen.contains(i)) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    }
    return make_error("the summaries cover {} of {} cells (missing: {})", out.cells.size(),
                      out.cell_total, missing);
  }
  return out;
}

std::vector<std::string> finding_signatures(const reports::Summary& summary) {
  std::vector<std::string> out;
  for (const auto& c : summary.cells) {
    for (const auto& r : c.runs) {
      for (const auto& f : r.findings) {
        if (std::find(out.begin(), out.end(), f.signature) == out.end()) out.push_back(f.signature);
      }
    }
  }
  return out;
}

std::vector<std::string> new_findings(const reports::Summary& summary,
                                      const reports::Summary& baseline) {
  std::vector<std::string> known = finding_signatures(baseline);
  std::vector<std::string> out;
  for (const auto& s : finding_signatures(summary)) {
    if (std::find(known.begin(), known.end(), s) == known.end()) out.push_back(s);
  }
  return out;
}

}  // namespace wedge::run

namespace wedge::run {

int bisect_exit_code(const reports::CellSummary& cell, double threshold) {
  int failures = 0, counted = 0;
  for (const auto& r : cell.runs) {
    if (r.exit_code == 125 || r.verdict == reports::to_string(reports::Verdict::kBootFailure)) {
      continue;
    }
    ++counted;
    if (r.exit_code != 0) ++failures;
  }
  if (counted == 0) return 125;
  return static_cast<double>(failures) / counted > threshold ? 1 : 0;
}

}  // namespace wedge::run
