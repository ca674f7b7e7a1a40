// report.json -> RunReport: the inverse of JsonWriter::render for the fields reports need.
#include "reports/run_reader.h"

#include <exception>
#include <utility>

#include "harness/util/files.h"

namespace wedge::reports {

using nlohmann::json;

namespace {

std::optional<double> opt(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return j.at(key).get<double>();
}

Finding finding_from(const json& j) {
  Finding f;
  f.kind = j.value("kind", "");
  f.title = j.value("title", "");
  f.subkind = j.value("subkind", "");
  f.evidence = j.value("evidence", "");
  f.onset_s = opt(j, "onset_s");
  f.detected_s = opt(j, "detected_s");
  f.traces_s = opt(j, "traces_s");
  f.console_silent_s = opt(j, "console_silent_s");
  f.during_fault = j.value("during_fault", false);
  f.guest = j.value("guest", "");
  f.frames = j.value("frames", std::vector<std::string>{});
  f.routes = j.value("routes", std::vector<std::string>{});
  for (const auto& g : j.value("stacks", json::array())) {
    f.stacks.push_back({g.value("count", 0), g.value("state", ""),
                        g.value("tasks", std::vector<std::string>{}),
                        g.value("frames", std::vector<std::string>{})});
  }
  return f;
}

void read_numbers(const json& j, RunReport& r) {
  const json& t = j.at("timings");
  r.boot_s = t.at("boot_s").is_null() ? -1 : t.at("boot_s").get<double>();
  r.run_s = t.at("run_s").get<double>();
  // Older reports have none of these (-1 stays).
  for (auto [name, field] : {std::pair{"domain_start_s", &r.domain_start_s},
                             std::pair{"boot_cpu_wait_s", &r.boot_cpu_wait_s},
                             std::pair{"domain_start_cpu_wait_s", &r.domain_start_cpu_wait_s}}) {
    auto value = t.find(name);
    if (value != t.end() && value->is_number()) *field = *value;
  }
  const json& g = j.at("guest");
  r.guest.pswpout = g.value("pswpout", uint64_t{0});
  r.guest.pswpin = g.value("pswpin", uint64_t{0});
  r.guest.swap_peak_mib = g.value("swap_peak_mib", 0.0);
  r.guest.memfree_min_mib = g.value("memfree_min_mib", 0.0);
  r.guest.samples = g.value("samples", uint64_t{0});
  r.guest.workload_progress_mib = g.value("workload_progress_mib", uint64_t{0});
  const json& s = j.at("server");
  r.server.name = s.value("name", "");
  r.server.bytes_written = s.value("bytes_written", uint64_t{0});
  r.server.bytes_read = s.value("bytes_read", uint64_t{0});
  r.server.connections = s.value("connections", uint64_t{0});
  r.console.bytes = j.at("console").value("bytes", uint64_t{0});
}

}  // namespace

Verdict parse_verdict(const std::string& name) {
  for (Verdict v : {Verdict::kPass, Verdict::kHang, Verdict::kCrash, Verdict::kUnexpectedOom,
                    Verdict::kDataLoss, Verdict::kIoError, Verdict::kTimeout,
                    Verdict::kWorkloadFailed, Verdict::kBootFailure}) {
    if (name == to_string(v)) return v;
  }
  return Verdict::kInfraError;
}

std::string signature_of(const json& finding) {
  if (finding.contains("signature") && finding.at("signature").is_string() &&
      !finding.at("signature").get<std::string>().empty()) {
    return finding.at("signature").get<std::string>();
  }
  return finding.value("kind", "") + ": " + finding.value("title", "");
}

Result<RunRecord> read_run(const std::filesystem::path& run_dir) {
  auto path = run_dir / "report.json";
  WEDGE_TRY(std::string text, read_file(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error("{}: not JSON", path.string());
  RunRecord rec;
  rec.dir = run_dir;
  RunReport& r = rec.report;
  try {
    r.run_id = j.value("run_id", "");
    r.scenario = j.value("scenario", "");
    r.scenario_file = j.value("scenario_file", "");
    r.started_at = j.value("started_at", "");
    r.verdict = parse_verdict(j.value("verdict", ""));
    r.reason = j.value("reason", "");
    r.infra_error = j.value("infra_error", "");
    r.accel = j.value("accel", "");
    for (const auto& f : j.at("findings")) {
      r.findings.push_back(finding_from(f));
      rec.signatures.push_back(signature_of(f));
    }
    for (const auto& f : j.value("faults", json::array())) {
      r.faults.push_back(
          {f.value("kind", ""), f.value("start_s", 0.0), opt(f, "stop_s"), f.value("error", "")});
    }
    read_numbers(j, r);
    const json& v = j.at("versions");
    r.kernel_release = v.value("kernel", "");
    r.qemu_version = v.value("qemu", "");
    r.libvirt_version = v.value("libvirt", "");
    r.wedge_version = v.value("wedge", "");
    const json image = j.value("image", json::object());
    r.image_hash = image.value("hash", "");
    r.kernel_path = image.value("kernel", "");
    r.kernel_source = image.value("kernel_source", "");
    r.boot_kernel = image.value("boot_kernel", "");
  } catch (const std::exception& e) {
    return make_error("{}: {}", path.string(), e.what());
  }
  return rec;
}

}  // namespace wedge::reports
