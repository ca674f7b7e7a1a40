// Reading a finished run directory back: report.json into the RunReport model (plus each
// finding's signature), so every report can be regenerated later from the files alone.
//
//   WEDGE_TRY(reports::RunRecord rec, reports::read_run(run_dir));
//   rec.report.verdict;  rec.signatures[0];  // "hang: folio_wait_writeback"
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "reports/report.h"

namespace wedge::reports {

struct RunRecord {
  RunReport report;
  std::vector<std::string> signatures;  // one per report.findings entry
  std::filesystem::path dir;
};

[[nodiscard]] Result<RunRecord> read_run(const std::filesystem::path& run_dir);

// A finding's dedup key: report.json's findings[].signature when the run wrote one, else its
// kind and title ("hang: INFO: task hung in rq_qos_wait").
[[nodiscard]] std::string signature_of(const nlohmann::json& finding);

[[nodiscard]] Verdict parse_verdict(const std::string& name);

}  // namespace wedge::reports
