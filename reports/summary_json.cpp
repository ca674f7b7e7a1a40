// summary.json: the matrix summary as JSON and back (merge, compare and `wedge report` read it).
#include <exception>

#include "harness/util/files.h"
#include "reports/summary.h"

namespace wedge::reports {

using nlohmann::json;

namespace {

// [[name, value], ...]: an array keeps the order, which is meaningful (it names the cell).
json pairs_json(const Pairs& pairs) {
  json out = json::array();
  for (const auto& [k, v] : pairs) out.push_back({k, v});
  return out;
}

Pairs pairs_from(const json& j) {
  Pairs out;
  for (const auto& p : j) out.emplace_back(p.at(0).get<std::string>(), p.at(1).get<std::string>());
  return out;
}

json run_json(const RunEntry& r) {
  json findings = json::array();
  for (const auto& f : r.findings) {
    findings.push_back({{"kind", f.kind}, {"title", f.title}, {"signature", f.signature}});
  }
  return {{"repeat", r.repeat},
          {"dir", r.dir},
          {"verdict", r.verdict},
          {"exit_code", r.exit_code},
          {"run_s", r.run_s},
          {"started_at", r.started_at},
          {"kernel_release", r.kernel_release},
          {"reason", r.reason},
          {"findings", findings}};
}

RunEntry run_from(const json& j) {
  RunEntry r;
  r.repeat = j.at("repeat").get<int>();
  r.dir = j.at("dir").get<std::string>();
  r.verdict = j.at("verdict").get<std::string>();
  r.exit_code = j.at("exit_code").get<int>();
  r.run_s = j.at("run_s").get<double>();
  r.started_at = j.value("started_at", "");
  r.kernel_release = j.value("kernel_release", "");
  r.reason = j.value("reason", "");
  for (const auto& f : j.at("findings")) {
    r.findings.push_back({f.at("kind").get<std::string>(), f.at("title").get<std::string>(),
                          f.at("signature").get<std::string>()});
  }
  return r;
}

}  // namespace

std::string label(const Pairs& pairs, const std::string& key) {
  for (const auto& [k, v] : pairs) {
    if (k == key) return v;
  }
  return "";
}

json summary_json(const Summary& s) {
  json cells = json::array();
  for (const auto& c : s.cells) {
    json runs = json::array();
    for (const auto& r : c.runs) runs.push_back(run_json(r));
    cells.push_back({{"index", c.index},
                     {"id", c.id},
                     {"scenario", c.scenario},
                     {"axes", pairs_json(c.axes)},
                     {"labels", pairs_json(c.labels)},
                     {"runs", runs},
                     {"failures", c.failures},
                     {"counted", c.counted},
                     {"rate", c.rate},
                     {"ci95", {c.ci_low, c.ci_high}},
                     {"verdicts", c.verdicts}});
  }
  json out = {{"schema_version", kSummarySchemaVersion},
              {"kind", "matrix_summary"},
              {"name", s.name},
              {"created_at", s.created_at},
              {"matrix_file", s.matrix_file},
              {"repeat", s.repeat},
              {"shard", s.shard},
              {"cell_total", s.cell_total},
              {"cells", cells},
              {"baseline", s.baseline},
              {"new_findings", s.new_findings}};
  return out;
}

Result<Summary> summary_from_json(const json& j) {
  try {
    if (j.at("schema_version").get<int>() != kSummarySchemaVersion) {
      return make_error("schema_version {} is not {}", j.at("schema_version").dump(),
                        kSummarySchemaVersion);
    }
    Summary s;
    s.name = j.at("name").get<std::string>();
    s.created_at = j.at("created_at").get<std::string>();
    s.matrix_file = j.at("matrix_file").get<std::string>();
    s.repeat = j.at("repeat").get<int>();
    s.shard = j.at("shard").get<std::string>();
    s.cell_total = j.at("cell_total").get<int>();
    s.baseline = j.value("baseline", "");
    s.new_findings = j.value("new_findings", std::vector<std::string>{});
    for (const auto& jc : j.at("cells")) {
      CellSummary c;
      c.index = jc.at("index").get<int>();
      c.id = jc.at("id").get<std::string>();
      c.scenario = jc.at("scenario").get<std::string>();
      c.axes = pairs_from(jc.at("axes"));
      c.labels = pairs_from(jc.at("labels"));
      for (const auto& jr : jc.at("runs")) c.runs.push_back(run_from(jr));
      c.failures = jc.at("failures").get<int>();
      c.counted = jc.at("counted").get<int>();
      c.rate = jc.at("rate").get<double>();
      c.ci_low = jc.at("ci95").at(0).get<double>();
      c.ci_high = jc.at("ci95").at(1).get<double>();
      c.verdicts = jc.at("verdicts").get<std::map<std::string, int>>();
      s.cells.push_back(std::move(c));
    }
    return s;
  } catch (const std::exception& e) {
    return make_error("not a wedge matrix summary: {}", e.what());
  }
}

Result<Summary> read_summary(const std::filesystem::path& path) {
  WEDGE_TRY(std::string text, read_file(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("{}: not JSON", path.string());
  return summary_from_json(j).context(path.string());
}

}  // namespace wedge::reports
