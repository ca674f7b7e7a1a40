// The findings store under an output root (findings.json): findings deduplicated by signature
// across every matrix and run recorded there, with first/last seen, count, kernels, scenarios
// and a bounded list of example run directories.
//
//   WEDGE_TRY(run::FindingsStore store, run::load_findings_store(root));
//   run::record_summary(store, summary, root);
//   WEDGE_CHECK(run::save_findings_store(store, root));
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "reports/summary.h"

namespace wedge::run {

inline constexpr size_t kMaxExamples = 5;

struct StoredFinding {
  std::string signature;
  std::string kind;
  std::string title;
  std::string first_seen;  // ISO 8601 UTC of the run that first showed it
  std::string last_seen;
  int count = 0;  // runs that showed it
  std::set<std::string> kernels;
  std::set<std::string> scenarios;
  std::vector<std::string> examples;  // run directories, newest last, at most kMaxExamples
};

struct FindingsStore {
  std::vector<StoredFinding> findings;
  std::set<std::string> runs;  // run directories already recorded (recording is idempotent)
};

// Adds every finding of every run of the summary (run dirs resolved against root).
void record_summary(FindingsStore& store, const reports::Summary& summary,
                    const std::filesystem::path& root);

// Newest first: by last seen, then by signature.
[[nodiscard]] std::vector<StoredFinding> newest_first(const FindingsStore& store);

[[nodiscard]] nlohmann::json findings_store_json(const FindingsStore& store);
// A missing findings.json is an empty store.
[[nodiscard]] Result<FindingsStore> load_findings_store(const std::filesystem::path& root);
[[nodiscard]] Status save_findings_store(const FindingsStore& store,
                                         const std::filesystem::path& root);

}  // namespace wedge::run
