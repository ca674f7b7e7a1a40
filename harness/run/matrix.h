// A whole matrix run: expand, validate each cell as `wedge run` would, run the shard's jobs as
// child processes, summarise, record findings, write every report, optionally push metrics.
// Also the A/B form: the same matrix on two kernels, their runs interleaved.
//
//   run::MatrixOptions o;  o.out = "nightly";  o.parallel = 2;
//   WEDGE_TRY(reports::Summary s, run::run_matrix(matrix, o));
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "harness/config/matrix.h"
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

// Runs the matrix on base_kernel under out/base and candidate_kernel under out/candidate, each
// job of one followed by the same job of the other.
[[nodiscard]] Result<std::pair<reports::Summary, reports::Summary>> run_compare(
    const config::Matrix& matrix, const std::string& base_kernel,
    const std::string& candidate_kernel, const MatrixOptions& options);

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
