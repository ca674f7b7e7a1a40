// findings.json: load, record runs into, order and save the findings store.
#include "harness/run/findings_store.h"

#include <algorithm>
#include <exception>

#include "harness/util/files.h"

namespace wedge::run {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

StoredFinding& entry_for(FindingsStore& store, const reports::FindingBrief& f) {
  for (auto& s : store.findings) {
    if (s.signature == f.signature) return s;
  }
  StoredFinding s;
  s.signature = f.signature;
  s.kind = f.kind;
  s.title = f.title;
  store.findings.push_back(std::move(s));
  return store.findings.back();
}

}  // namespace

void record_summary(FindingsStore& store, const reports::Summary& summary, const fs::path& root) {
  for (const auto& cell : summary.cells) {
    for (const auto& run : cell.runs) {
      std::string dir = fs::weakly_canonical(root / run.dir).string();
      if (!store.runs.insert(dir).second) continue;
      std::set<std::string> in_this_run;
      for (const auto& f : run.findings) {
        if (!in_this_run.insert(f.signature).second) continue;
        StoredFinding& s = entry_for(store, f);
        ++s.count;
        if (s.first_seen.empty() || run.started_at < s.first_seen) s.first_seen = run.started_at;
        if (run.started_at > s.last_seen) s.last_seen = run.started_at;
        s.kernels.insert(run.kernel_release.empty() ? reports::label(cell.labels, "kernel")
                                                    : run.kernel_release);
        s.scenarios.insert(cell.scenario);
        s.examples.push_back(dir);
        if (s.examples.size() > kMaxExamples) s.examples.erase(s.examples.begin());
      }
    }
  }
}

std::vector<StoredFinding> newest_first(const FindingsStore& store) {
  std::vector<StoredFinding> out = store.findings;
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.last_seen != b.last_seen ? a.last_seen > b.last_seen : a.signature < b.signature;
  });
  return out;
}

json findings_store_json(const FindingsStore& store) {
  json findings = json::array();
  for (const auto& s : newest_first(store)) {
    findings.push_back({{"signature", s.signature},
                        {"kind", s.kind},
                        {"title", s.title},
                        {"first_seen", s.first_seen},
                        {"last_seen", s.last_seen},
                        {"count", s.count},
                        {"kernels", s.kernels},
                        {"scenarios", s.scenarios},
                        {"examples", s.examples}});
  }
  return {{"schema_version", 1},
          {"kind", "findings_store"},
          {"findings", findings},
          {"runs", store.runs}};
}

Result<FindingsStore> load_findings_store(const fs::path& root) {
  fs::path path = root / "findings.json";
  FindingsStore store;
  std::error_code ec;
  if (!fs::exists(path, ec)) return store;
  WEDGE_TRY(std::string text, read_file(path));
  try {
    json j = json::parse(text);
    for (const auto& f : j.at("findings")) {
      store.findings.push_back({f.at("signature").get<std::string>(),
                                f.at("kind").get<std::string>(), f.at("title").get<std::string>(),
                                f.at("first_seen").get<std::string>(),
                                f.at("last_seen").get<std::string>(), f.at("count").get<int>(),
                                f.at("kernels").get<std::set<std::string>>(),
                                f.at("scenarios").get<std::set<std::string>>(),
                                f.at("examples").get<std::vector<std::string>>()});
    }
    store.runs = j.at("runs").get<std::set<std::string>>();
  } catch (const std::exception& e) {
    return make_error("{}: {}", path.string(), e.what());
  }
  return store;
}

Status save_findings_store(const FindingsStore& store, const fs::path& root) {
  return write_file_atomic(root / "findings.json", findings_store_json(store).dump(2) + "\n")
      .context("writing the findings store");
}

}  // namespace wedge::run
