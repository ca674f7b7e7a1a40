// A whole matrix run: expand, validate each cell as `wedge run` would, run the shard's jobs as
// child processes, summarise, record findings, write every report, optionally push metrics.
// Also the A/B form: two variants of the matrix (kernels, any axis), their runs interleaved.
//
//   run::MatrixOptions o;  o.out = "nightly";  o.parallel = 2;
//   WEDGE_TRY(reports::Summary s, run::run_matrix(matrix, o));
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/config/matrix_file.h"
#include "harness/run/compare.h"
#include "harness/run/shard.h"
#include "reports/summary.h"

namespace wedge::run {

struct MatrixOptions {
  std::filesystem::path out;  // the output root (summary.json, runs/, cells/, findings.json)
  int parallel = 0;           // 0: default_parallelism
  Shard shard;
  int repeat = 0;                     // 0: the matrix file's
  std::vector<std::string> kernels;   // non-empty: replaces the kernel axis
  std::filesystem::path baseline;     // a summary.json; marks findings new since it
  std::string pushgateway;            // push metrics.prom here at the end
  std::vector<std::string> run_args;  // passed to every `wedge run` (--accel tcg, --cache DIR)
  std::filesystem::path wedge;        // the executable; empty: this process's
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

[[nodiscard]] Result<reports::Summary> run_matrix(const config::Matrix& matrix,
                                                  const MatrixOptions& options);

// Runs the matrix with sides.base applied under out/base and with sides.candidate applied
// under out/candidate, each job of one followed by the same job of the other. Fails (naming the
// option) on a setting the matrix cannot take, and when the sides would not pair cell for cell
// (a multi-valued axis replaced on one side only).
[[nodiscard]] Result<std::pair<reports::Summary, reports::Summary>> run_compare(
    const config::Matrix& matrix, const CompareSides& sides, const MatrixOptions& options);

// The matrix of each side (settings applied), checked to pair cell for cell.
[[nodiscard]] Result<std::pair<config::Matrix, config::Matrix>> compare_matrices(
    const config::Matrix& matrix, const CompareSides& sides);

// `wedge run --pushgateway`: writes run_dir/metrics.prom as the one-cell summary of that run
// (the cell of scenario_file, with kernel when not empty) and pushes it as the group
// job="wedge", matrix=<scenario>.
[[nodiscard]] Status push_run_metrics(const std::string& url,
                                      const std::filesystem::path& scenario_file,
                                      const std::string& kernel,
                                      const std::filesystem::path& run_dir);

// Writes every per-run derived report and every summary report for a finished output root.
[[nodiscard]] Status write_reports(const reports::Summary& summary,
                                   const std::filesystem::path& root);

// Loads shard summaries (each DIR/summary.json), merges them into out (copying run dirs that
// live elsewhere), records findings and writes every report.
[[nodiscard]] Result<reports::Summary> merge_into(const std::vector<std::filesystem::path>& dirs,
                                                  const std::filesystem::path& out,
                                                  bool allow_partial);

// The current time as ISO 8601 UTC ("2026-11-25T14:22:29Z").
[[nodiscard]] std::string utc_now();

}  // namespace wedge::run
