// Matrix and compare orchestration over the pieces in matrix_runner, matrix_summary,
// findings_store and the report registry.
#include "harness/run/run_matrix.h"

#include <time.h>

#include <algorithm>

#include "harness/run/findings_store.h"
#include "harness/run/matrix_runner.h"
#include "harness/run/matrix_summary.h"
#include "harness/run/pushgateway.h"
#include "reports/registry.h"
#include "reports/run_reader.h"

namespace wedge::run {

namespace fs = std::filesystem;

std::string utc_now() {
  time_t t = time(nullptr);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

// One side of a matrix run: its cells (this shard's), their files and its output root.
struct Side {
  fs::path root;
  std::vector<config::Cell> cells;
  std::vector<fs::path> files;
  int cell_total = 0;
  std::vector<Job> jobs;
};

Result<Side> prepare(config::Matrix matrix, const MatrixOptions& o, const fs::path& root,
                     int repeat) {
  if (!o.kernels.empty()) matrix.kernels = o.kernels;
  WEDGE_TRY(std::vector<config::Cell> all, config::expand_matrix(matrix));
  Side side;
  side.root = root;
  side.cell_total = static_cast<int>(all.size());
  for (auto& c : all) {
    if (in_shard(o.shard, c.index)) side.cells.push_back(std::move(c));
  }
  WEDGE_TRY(side.files, write_cell_files(side.cells, root));
  for (size_t i = 0; i < side.cells.size(); ++i) {
    auto checked = load_cell_scenario(side.files[i]);
    if (!checked) return checked.error().context("matrix cell " + side.cells[i].id);
  }
  side.jobs = plan_jobs(side.cells, side.files, repeat, root);
  for (auto& j : side.jobs) j.extra_args = o.run_args;
  return side;
}

reports::Summary summarize(const config::Matrix& m, const MatrixOptions& o, const Side& side,
                           const std::vector<reports::RunEntry>& entries, int repeat) {
  reports::Summary s;
  s.name = m.name;
  s.created_at = utc_now();
  s.matrix_file = m.source.string();
  s.repeat = repeat;
  s.shard = o.shard.whole() ? "" : o.shard.name();
  s.cell_total = side.cell_total;
  for (size_t i = 0; i < side.cells.size(); ++i) {
    std::vector<reports::RunEntry> runs;
    for (size_t j = 0; j < side.jobs.size(); ++j) {
      if (side.jobs[j].cell == static_cast<int>(i)) runs.push_back(entries[j]);
    }
    s.cells.push_back(summarize_cell(side.cells[i], std::move(runs)));
  }
  return s;
}

Status finish(reports::Summary& s, const MatrixOptions& o, const fs::path& root) {
  if (!o.baseline.empty()) {
    WEDGE_TRY(reports::Summary base, reports::read_summary(o.baseline));
    s.baseline = o.baseline.string();
    s.new_findings = new_findings(s, base);
  }
  WEDGE_TRY(FindingsStore store, load_findings_store(root));
  record_summary(store, s, root);
  WEDGE_CHECK(save_findings_store(store, root));
  WEDGE_CHECK(write_reports(s, root));
  if (!o.pushgateway.empty()) {
    WEDGE_CHECK(push_metrics(o.pushgateway, config::cell_token(s.name), root / "metrics.prom"));
  }
  return ok_status();
}

RunnerOptions runner_options(const MatrixOptions& o, const std::vector<config::Cell>& cells) {
  RunnerOptions r;
  std::error_code ec;
  r.wedge = o.wedge.empty() ? fs::read_symlink("/proc/self/exe", ec) : o.wedge;
  int memory = 256;
  for (const auto& c : cells) {
    auto pos = c.toml.find("memory_mib = ");
    if (pos != std::string::npos) memory = std::max(memory, std::stoi(c.toml.substr(pos + 13)));
  }
  r.parallel = o.parallel > 0 ? o.parallel : default_parallelism(memory);
  r.log = o.log;
  return r;
}

}  // namespace

Status write_reports(const reports::Summary& summary, const fs::path& root) {
  for (const auto& c : summary.cells) {
    for (const auto& r : c.runs) {
      auto record = reports::read_run(root / r.dir);
      if (!record) continue;  // no report.json: nothing to derive pages from
      WEDGE_CHECK(reports::write_derived_run_reports(record->report, root / r.dir));
    }
  }
  return reports::write_summary_reports(summary, root);
}

Status push_run_metrics(const std::string& url, const fs::path& scenario_file,
                        const std::string& kernel, const fs::path& run_dir) {
  config::Matrix m = config::matrix_of_scenario(scenario_file);
  if (!kernel.empty()) m.kernels = {kernel};
  WEDGE_TRY(std::vector<config::Cell> cells, config::expand_matrix(m));
  WEDGE_TRY(reports::RunRecord record, reports::read_run(run_dir));
  reports::Summary s;
  s.name = cells.front().scenario;
  s.created_at = utc_now();
  s.matrix_file = scenario_file.string();
  s.cell_total = 1;
  s.cells.push_back(summarize_cell(cells.front(), {run_entry(record, 1, ".")}));
  WEDGE_CHECK(reports::summary_writer(reports::SummaryFormat::kPrometheus).write(s, run_dir));
  return push_metrics(url, config::cell_token(s.name), run_dir / "metrics.prom");
}

Result<reports::Summary> run_matrix(const config::Matrix& matrix, const MatrixOptions& o) {
  int repeat = o.repeat > 0 ? o.repeat : matrix.repeat;
  WEDGE_TRY(Side side, prepare(matrix, o, o.out, repeat));
  RunnerOptions ro = runner_options(o, side.cells);
  o.log(fmt::format("{} cells x {} repeats = {} runs, {} at a time", side.cells.size(), repeat,
                    side.jobs.size(), ro.parallel));
  std::vector<reports::RunEntry> entries = run_jobs(side.jobs, ro);
  reports::Summary s = summarize(matrix, o, side, entries, repeat);
  WEDGE_CHECK(finish(s, o, o.out));
  return s;
}

Result<std::pair<config::Matrix, config::Matrix>> compare_matrices(const config::Matrix& matrix,
                                                                   const CompareSides& sides) {
  config::Matrix base = matrix, candidate = matrix;
  WEDGE_CHECK(config::apply_axis_settings(base, sides.base, "--base-set"));
  WEDGE_CHECK(config::apply_axis_settings(candidate, sides.candidate, "--candidate-set"));
  for (const auto& key : config::axis_setting_keys()) {
    size_t b = config::axis_size(base, key), c = config::axis_size(candidate, key);
    if (std::max<size_t>(b, 1) == std::max<size_t>(c, 1)) continue;
    bool base_set = b < c;
    return make_error(
        "{}-set {} leaves one {} on the {} side but the matrix has {} values of it on the {} "
        "side, so the cells would not pair: set {} on both sides",
        base_set ? "--base" : "--candidate", key, key, base_set ? "base" : "candidate",
        std::max(b, c), base_set ? "candidate" : "base", key);
  }
  return std::make_pair(std::move(base), std::move(candidate));
}

Result<std::pair<reports::Summary, reports::Summary>> run_compare(const config::Matrix& matrix,
                                                                  const CompareSides& sides,
                                                                  const MatrixOptions& options) {
  int repeat = options.repeat > 0 ? options.repeat : matrix.repeat;
  WEDGE_TRY(auto matrices, compare_matrices(matrix, sides));
  MatrixOptions base_o = options, candidate_o = options;
  base_o.kernels.clear();
  candidate_o.kernels.clear();
  WEDGE_TRY(Side base, prepare(matrices.first, base_o, options.out / "base", repeat));
  WEDGE_TRY(Side candidate,
            prepare(matrices.second, candidate_o, options.out / "candidate", repeat));
  if (base.jobs.size() != candidate.jobs.size()) {
    return make_error("the base side has {} runs and the candidate side {}: they cannot pair",
                      base.jobs.size(), candidate.jobs.size());
  }
  std::vector<Job> jobs;
  for (size_t i = 0; i < base.jobs.size(); ++i) {
    jobs.push_back(base.jobs[i]);
    jobs.push_back(candidate.jobs[i]);
  }
  std::vector<config::Cell> all_cells = base.cells;
  all_cells.insert(all_cells.end(), candidate.cells.begin(), candidate.cells.end());
  RunnerOptions ro = runner_options(options, all_cells);
  std::vector<reports::RunEntry> entries = run_jobs(jobs, ro);
  std::vector<reports::RunEntry> base_entries, candidate_entries;
  for (size_t i = 0; i < entries.size(); ++i) {
    (i % 2 == 0 ? base_entries : candidate_entries).push_back(entries[i]);
  }
  reports::Summary b = summarize(matrices.first, base_o, base, base_entries, repeat);
  reports::Summary c =
      summarize(matrices.second, candidate_o, candidate, candidate_entries, repeat);
  base_o.pushgateway.clear();
  candidate_o.pushgateway.clear();
  WEDGE_CHECK(finish(b, base_o, base.root));
  WEDGE_CHECK(finish(c, candidate_o, candidate.root));
  return std::make_pair(b, c);
}

Result<reports::Summary> merge_into(const std::vector<fs::path>& dirs, const fs::path& out,
                                    bool allow_partial) {
  std::vector<reports::Summary> shards;
  std::error_code ec;
  fs::create_directories(out, ec);
  for (const auto& d : dirs) {
    WEDGE_TRY(reports::Summary s, reports::read_summary(d / "summary.json"));
    if (fs::weakly_canonical(d, ec) != fs::weakly_canonical(out, ec)) {
      for (const char* sub : {"runs", "cells"}) {
        if (!fs::exists(d / sub, ec)) continue;
        fs::copy(d / sub, out / sub, fs::copy_options::recursive | fs::copy_options::skip_existing,
                 ec);
        if (ec)
          return make_error("copying {} into {}: {}", (d / sub).string(), out.string(),
                            ec.message());
      }
    }
    shards.push_back(std::move(s));
  }
  WEDGE_TRY(reports::Summary merged, merge_summaries(shards, allow_partial));
  MatrixOptions o;
  WEDGE_CHECK(finish(merged, o, out));
  return merged;
}

}  // namespace wedge::run
