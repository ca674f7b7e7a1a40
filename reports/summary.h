// The matrix summary: every cell of a matrix (or of one shard), its runs and their verdicts,
// failure rates with 95% intervals, and the writer interface the per-matrix formats implement.
// summary.json is this model as JSON (reports/schema/summary.schema.json).
//
//   WEDGE_TRY(reports::Summary s, reports::read_summary(dir / "summary.json"));
//   for (const auto& c : s.cells) fmt::print("{} {}/{}\n", c.id, c.failures, c.counted);
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge::reports {

inline constexpr int kSummarySchemaVersion = 1;

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct FindingBrief {
  std::string kind;
  std::string title;
  std::string signature;  // kind plus blamed frame: the key findings deduplicate on
};

struct RunEntry {
  int repeat = 1;
  std::string dir;      // the run directory, relative to the summary's directory
  std::string verdict;  // as in report.json ("pass", "hang", ..., "infra_error")
  int exit_code = 125;  // 0 pass, 1 the kernel failed, 125 could not test
  double run_s = 0;
  std::string started_at;
  std::string kernel_release;
  std::string reason;
  std::vector<FindingBrief> findings;
};

struct CellSummary {
  int index = 0;
  std::string id;
  std::string scenario;
  Pairs axes;    // what the matrix varies ("kernel", "mem", "transport", "fault", "sysctl")
  Pairs labels;  // scenario, kernel, transport, workload
  std::vector<RunEntry> runs;
  int failures = 0;                // runs whose kernel failed (exit 1)
  int counted = 0;                 // runs that tested the kernel (infra errors excluded)
  double rate = 0;                 // failures / counted
  double ci_low = 0, ci_high = 1;  // 95% Wilson interval of rate
  std::map<std::string, int> verdicts;
};

struct Summary {
  std::string name;
  std::string created_at;  // ISO 8601 UTC
  std::string matrix_file;
  int repeat = 1;
  std::string shard;   // "I/N" when this is one shard; empty when whole or merged
  int cell_total = 0;  // cells in the whole matrix (all shards)
  std::vector<CellSummary> cells;
  std::string baseline;                   // the baseline summary new findings are relative to
  std::vector<std::string> new_findings;  // signatures absent from the baseline
};

[[nodiscard]] nlohmann::json summary_json(const Summary& summary);
[[nodiscard]] Result<Summary> summary_from_json(const nlohmann::json& json);
[[nodiscard]] Result<Summary> read_summary(const std::filesystem::path& path);

// The value of a label or axis, or "" when absent: label(cell.labels, "kernel").
[[nodiscard]] std::string label(const Pairs& pairs, const std::string& key);

// A per-matrix format: writes its file(s) into the summary's directory, reading the runs'
// directories (root / run.dir) for details.
class SummaryWriter {
 public:
  virtual ~SummaryWriter() = default;
  [[nodiscard]] virtual Status write(const Summary& summary,
                                     const std::filesystem::path& root) const = 0;
};

}  // namespace wedge::reports
