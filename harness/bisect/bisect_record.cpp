// Implementation of bisect_record.h: bisect.json both ways.
#include "harness/bisect/bisect_record.h"

#include <exception>

#include "harness/util/files.h"

namespace wedge::bisect {

using nlohmann::json;

namespace {

json stacks_json(const std::vector<reports::StackGroup>& stacks) {
  json out = json::array();
  for (const auto& g : stacks) {
    out.push_back(
        {{"count", g.count}, {"state", g.state}, {"tasks", g.tasks}, {"frames", g.frames}});
  }
  return out;
}

std::vector<reports::StackGroup> stacks_from(const json& j) {
  std::vector<reports::StackGroup> out;
  for (const auto& g : j) {
    out.push_back({g.value("count", 0), g.value("state", ""),
                   g.value("tasks", std::vector<std::string>{}),
                   g.value("frames", std::vector<std::string>{})});
  }
  return out;
}

json key_json(const BugKey& k) {
  return {{"kind", k.kind}, {"signature", k.signature}, {"functions", k.weights}};
}

BugKey key_from(const json& j) {
  BugKey k;
  k.kind = j.value("kind", "");
  k.signature = j.value("signature", "");
  k.weights = j.value("functions", std::map<std::string, double>{});
  return k;
}

json finding_json(const FindingRecord& f) {
  json j = {{"kind", f.kind},
            {"title", f.title},
            {"signature", f.signature},
            {"bug_key", key_json(f.key)},
            {"similarity", f.similarity},
            {"bads_bug", f.bads_bug}};
  if (!f.stacks.empty()) j["stacks"] = stacks_json(f.stacks);
  return j;
}

FindingRecord finding_from(const json& j) {
  FindingRecord f;
  f.kind = j.value("kind", "");
  f.title = j.value("title", "");
  f.signature = j.value("signature", "");
  f.key = key_from(j.value("bug_key", json::object()));
  f.similarity = j.value("similarity", 0.0);
  f.bads_bug = j.value("bads_bug", false);
  f.stacks = stacks_from(j.value("stacks", json::array()));
  return f;
}

json run_json(const RunRecord& r) {
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  return {{"dir", r.dir},        {"end", to_string(r.end)}, {"verdict", r.verdict},
          {"reason", r.reason},  {"seconds", r.seconds},    {"counts_as", r.counts_as},
          {"findings", findings}};
}

RunRecord run_from(const json& j) {
  RunRecord r;
  r.dir = j.value("dir", "");
  r.end = parse_run_end(j.value("end", "infra_error"));
  r.verdict = j.value("verdict", "");
  r.reason = j.value("reason", "");
  r.seconds = j.value("seconds", 0.0);
  r.counts_as = j.value("counts_as", "none");
  for (const auto& f : j.value("findings", json::array())) r.findings.push_back(finding_from(f));
  return r;
}

json step_json(const StepRecord& s) {
  json runs = json::array();
  for (const auto& r : s.runs) runs.push_back(run_json(r));
  json j = {{"commit", s.commit},
            {"subject", s.subject},
            {"role", to_string(s.role)},
            {"runs", runs},
            {"counted", s.counted},
            {"failures", s.failures},
            {"infra_errors", s.infra_errors},
            {"llr", s.llr},
            {"decision", to_string(s.decision)},
            {"at_max_runs", s.at_max_runs},
            {"why", s.why},
            {"build", nullptr}};
  if (s.build) {
    j["build"] = {{"built", s.build->built},
                  {"kernel", s.build->kernel},
                  {"seconds", s.build->seconds},
                  {"log_tail", s.build->log_tail}};
  }
  return j;
}

StepDecision parse_decision(const std::string& s) {
  if (s == "good") return StepDecision::kGood;
  if (s == "bad") return StepDecision::kBad;
  if (s == "skip") return StepDecision::kSkip;
  return StepDecision::kPending;
}

StepRecord step_from(const json& j) {
  StepRecord s;
  s.commit = j.at("commit").get<std::string>();
  s.subject = j.value("subject", "");
  s.role = j.value("role", "") == "bad_reference" ? StepRole::kBadReference : StepRole::kBisect;
  for (const auto& r : j.value("runs", json::array())) s.runs.push_back(run_from(r));
  s.counted = j.value("counted", 0);
  s.failures = j.value("failures", 0);
  s.infra_errors = j.value("infra_errors", 0);
  s.llr = j.value("llr", 0.0);
  s.decision = parse_decision(j.value("decision", "pending"));
  s.at_max_runs = j.value("at_max_runs", false);
  s.why = j.value("why", "");
  if (j.contains("build") && j.at("build").is_object()) {
    const json& b = j.at("build");
    s.build = BuildOutcome{b.value("built", false), b.value("kernel", ""), b.value("log_tail", ""),
                           b.value("seconds", 0.0)};
  }
  return s;
}

}  // namespace

BisectCost cost_of(const BisectRecord& rec) {
  BisectCost c;
  for (const auto& s : rec.steps) {
    if (s.build) {
      ++c.builds;
      c.build_s += s.build->seconds;
    }
    for (const auto& r : s.runs) {
      ++c.runs;
      c.run_s += r.seconds;
    }
  }
  return c;
}

const FindingRecord* first_bad_finding(const BisectRecord& rec) {
  if (rec.result.first_bad.empty()) return nullptr;
  for (const auto& step : rec.steps) {
    if (step.commit != rec.result.first_bad) continue;
    for (const auto& r : step.runs) {
      for (const auto& f : r.findings) {
        if (f.bads_bug) return &f;
      }
    }
  }
  return nullptr;
}

json bisect_json(const BisectRecord& rec) {
  const BisectSettings& s = rec.settings;
  json steps = json::array();
  for (const auto& step : rec.steps) steps.push_back(step_json(step));
  BisectCost cost = cost_of(rec);
  json j = {
      {"schema_version", kBisectSchemaVersion},
      {"settings",
       {{"tree", s.tree},
        {"scenario", s.scenario},
        {"good", s.good},
        {"bad", s.bad},
        {"alpha", s.alpha},
        {"beta", s.beta},
        {"max_runs_per_step", s.max_runs_per_step},
        {"bad_runs", s.bad_runs},
        {"bad_failures", s.bad_failures},
        {"max_infra_errors", s.max_infra_errors},
        {"build_args", s.build_args}}},
      {"reference", nullptr},
      {"sprt", nullptr},
      {"steps", steps},
      {"git_log", rec.git_log},
      {"result",
       {{"state", rec.result.state},
        {"message", rec.result.message},
        {"first_bad", rec.result.first_bad},
        {"first_bad_subject", rec.result.first_bad_subject},
        {"candidates", rec.result.candidates}}},
      {"cost",
       {{"builds", cost.builds},
        {"runs", cost.runs},
        {"build_s", cost.build_s},
        {"run_s", cost.run_s},
        {"wall_s", rec.wall_s}}},
  };
  if (const FindingRecord* f = first_bad_finding(rec)) {
    j["result"]["finding"] = finding_json(*f);
  }
  if (rec.reference) {
    const ReferenceBug& r = *rec.reference;
    j["reference"] = {{"title", r.title},           {"signature", r.signature},
                      {"bug_key", key_json(r.key)}, {"stacks", stacks_json(r.stacks)},
                      {"p_bad", r.p_bad},           {"runs", r.runs},
                      {"failures", r.failures}};
  }
  if (rec.sprt) {
    const SprtParams& p = *rec.sprt;
    j["sprt"] = {{"p_good", p.p_good},
                 {"p_bad", p.p_bad},
                 {"alpha", p.alpha},
                 {"beta", p.beta},
                 {"upper_bound", upper_bound(p)},
                 {"lower_bound", lower_bound(p)}};
  }
  return j;
}

Result<BisectRecord> bisect_from_json(const json& j) {
  try {
    if (j.value("schema_version", 0) != kBisectSchemaVersion) {
      return make_error("schema_version {} is not {}", j.value("schema_version", 0),
                        kBisectSchemaVersion);
    }
    BisectRecord rec;
    const json& s = j.at("settings");
    rec.settings.tree = s.at("tree").get<std::string>();
    rec.settings.scenario = s.at("scenario").get<std::string>();
    rec.settings.good = s.at("good").get<std::string>();
    rec.settings.bad = s.at("bad").get<std::string>();
    rec.settings.alpha = s.at("alpha").get<double>();
    rec.settings.beta = s.at("beta").get<double>();
    rec.settings.max_runs_per_step = s.at("max_runs_per_step").get<int>();
    rec.settings.bad_runs = s.at("bad_runs").get<int>();
    rec.settings.bad_failures = s.at("bad_failures").get<int>();
    rec.settings.max_infra_errors = s.at("max_infra_errors").get<int>();
    rec.settings.build_args = s.value("build_args", std::vector<std::string>{});
    if (j.contains("reference") && j.at("reference").is_object()) {
      const json& r = j.at("reference");
      rec.reference =
          ReferenceBug{r.value("title", ""),      r.value("signature", ""),
                       key_from(r.at("bug_key")), stacks_from(r.value("stacks", json::array())),
                       r.value("p_bad", 0.0),     r.value("runs", 0),
                       r.value("failures", 0)};
    }
    if (j.contains("sprt") && j.at("sprt").is_object()) {
      const json& p = j.at("sprt");
      rec.sprt = SprtParams{p.at("p_good").get<double>(), p.at("p_bad").get<double>(),
                            p.at("alpha").get<double>(), p.at("beta").get<double>()};
    }
    for (const auto& step : j.at("steps")) rec.steps.push_back(step_from(step));
    rec.git_log = j.value("git_log", "");
    const json& r = j.at("result");
    rec.result.state = r.value("state", "running");
    rec.result.message = r.value("message", "");
    rec.result.first_bad = r.value("first_bad", "");
    rec.result.first_bad_subject = r.value("first_bad_subject", "");
    rec.result.candidates = r.value("candidates", std::vector<std::string>{});
    rec.wall_s = j.value("cost", json::object()).value("wall_s", 0.0);
    return rec;
  } catch (const std::exception& e) {
    return make_error("bisect.json: {}", e.what());
  }
}

Status write_bisect_json(const BisectRecord& rec, const std::filesystem::path& path) {
  return write_file_atomic(path, bisect_json(rec).dump(2) + "\n");
}

Result<BisectRecord> read_bisect_json(const std::filesystem::path& path) {
  WEDGE_TRY(std::string text, read_file(path));
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error("{}: not JSON", path.string());
  return bisect_from_json(j).context(path.string());
}

const char* to_string(StepRole role) {
  return role == StepRole::kBadReference ? "bad_reference" : "bisect";
}

const char* to_string(StepDecision decision) {
  switch (decision) {
    case StepDecision::kPending:
      return "pending";
    case StepDecision::kGood:
      return "good";
    case StepDecision::kBad:
      return "bad";
    case StepDecision::kSkip:
      return "skip";
  }
  return "pending";
}

const char* to_string(RunEnd end) {
  switch (end) {
    case RunEnd::kPass:
      return "pass";
    case RunEnd::kFinding:
      return "finding";
    case RunEnd::kBootFailure:
      return "boot_failure";
    case RunEnd::kInfraError:
      return "infra_error";
  }
  return "infra_error";
}

RunEnd parse_run_end(const std::string& name) {
  if (name == "pass") return RunEnd::kPass;
  if (name == "finding") return RunEnd::kFinding;
  if (name == "boot_failure") return RunEnd::kBootFailure;
  return RunEnd::kInfraError;
}

}  // namespace wedge::bisect
