// report.json: the machine-readable report every consumer (CI, dashboards, people) reads.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "reports/report.h"

namespace wedge::reports {

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return "pass";
    case Verdict::kHang:
      return "hang";
    case Verdict::kCrash:
      return "crash";
    case Verdict::kUnexpectedOom:
      return "unexpected_oom";
    case Verdict::kIoError:
      return "io_error";
    case Verdict::kWorkloadFailed:
      return "workload_failed";
    case Verdict::kBootFailure:
      return "boot_failure";
    case Verdict::kInfraError:
      return "infra_error";
  }
  return "infra_error";
}

int exit_code_for(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass:
      return 0;
    case Verdict::kInfraError:
      return 125;
    default:
      return 1;
  }
}

std::string describe(const Finding& f) {
  std::string out = f.kind;
  if (!f.subkind.empty()) out += fmt::format(" ({})", f.subkind);
  out += " - " + f.title;
  std::vector<std::string> when;
  if (f.onset_s) when.push_back(fmt::format("onset {:.1f} s", *f.onset_s));
  if (f.detected_s) when.push_back(fmt::format("detected {:.1f} s", *f.detected_s));
  if (f.during_fault) when.push_back("during an injected fault");
  if (f.console_silent_s && *f.console_silent_s >= 1) {
    when.push_back(fmt::format("console silent {:.0f} s", *f.console_silent_s));
  }
  if (!when.empty()) out += fmt::format(" ({})", fmt::join(when, ", "));
  return out;
}

nlohmann::json finding_json(const Finding& f) {
  using nlohmann::json;
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json stacks = json::array();
  for (const auto& g : f.stacks) {
    stacks.push_back(
        {{"count", g.count}, {"state", g.state}, {"tasks", g.tasks}, {"frames", g.frames}});
  }
  json out = {{"kind", f.kind},
              {"title", f.title},
              {"onset_s", optional(f.onset_s)},
              {"detected_s", optional(f.detected_s)},
              {"evidence", f.evidence},
              {"frames", f.frames},
              {"stacks", stacks},
              {"routes", f.routes},
              {"traces_s", optional(f.traces_s)}};
  if (!f.subkind.empty()) out["subkind"] = f.subkind;
  if (f.during_fault) out["during_fault"] = true;
  if (f.console_silent_s) out["console_silent_s"] = *f.console_silent_s;
  return out;
}

std::string JsonWriter::render(const RunReport& r) {
  using nlohmann::json;
  json findings = json::array();
  for (const auto& f : r.findings) findings.push_back(finding_json(f));
  json faults = json::array();
  for (const auto& f : r.faults) {
    json j = {{"kind", f.kind},
              {"start_s", f.start_s},
              {"stop_s", f.stop_s ? json(*f.stop_s) : json(nullptr)}};
    if (!f.error.empty()) j["error"] = f.error;
    faults.push_back(j);
  }
  json stalls = json::array();
  for (const auto& st : r.stalls) {
    stalls.push_back({{"start_s", st.start_s},
                      {"duration_s", st.duration_s},
                      {"during_fault", st.during_fault}});
  }
  json floods = json::array();
  for (const auto& f : r.console.floods) {
    floods.push_back({{"start_s", f.start_s}, {"end_s", f.end_s}, {"bytes", f.bytes}});
  }
  json guest = {{"pswpout", r.guest.pswpout},
                {"pswpin", r.guest.pswpin},
                {"swap_peak_mib", r.guest.swap_peak_mib},
                {"memfree_min_mib", r.guest.memfree_min_mib},
                {"samples", r.guest.samples},
                {"workload_progress_mib", r.guest.workload_progress_mib},
                {"workload_signal", r.guest.workload_signal}};
  guest["workload_exit_code"] =
      r.guest.workload_exit_code ? json(*r.guest.workload_exit_code) : json(nullptr);
  json out = {
      {"wedge_version", r.wedge_version},
      {"run_id", r.run_id},
      {"scenario", r.scenario},
      {"scenario_file", r.scenario_file},
      {"started_at", r.started_at},
      {"verdict", to_string(r.verdict)},
      {"exit_code", exit_code_for(r.verdict)},
      {"reason", r.reason},
      {"findings", findings},
      {"faults", faults},
      {"stalls", stalls},
      {"timings", {{"boot_s", r.boot_s < 0 ? json(nullptr) : json(r.boot_s)}, {"run_s", r.run_s}}},
      {"guest", guest},
      {"console", {{"bytes", r.console.bytes}, {"floods", floods}}},
      {"server",
       {{"name", r.server.name},
        {"bytes_written", r.server.bytes_written},
        {"bytes_read", r.server.bytes_read},
        {"connections", r.server.connections}}},
      {"versions",
       {{"kernel", r.kernel_release},
        {"qemu", r.qemu_version},
        {"libvirt", r.libvirt_version},
        {"wedge", r.wedge_version}}},
      {"accel", r.accel},
      {"image",
       {{"hash", r.image_hash},
        {"kernel", r.kernel_path},
        {"kernel_source", r.kernel_source},
        {"initrd_bytes", r.initrd_bytes},
        {"pinned_bytes", r.pinned_bytes}}},
      {"agent", {{"rss_kb", r.agent_rss_kb}, {"memlocked_kb", r.agent_memlocked_kb}}},
  };
  if (r.verdict == Verdict::kInfraError) out["infra_error"] = r.infra_error;
  if (r.interrupted) {
    out["interrupted"] = {{"signal", r.interrupted->signal}, {"phase", r.interrupted->phase}};
  }
  out["host_events"] = r.host_events;
  json cuts = json::array();
  for (const auto& c : r.log_cuts) {
    cuts.push_back({{"file", c.file}, {"bytes", c.bytes}, {"dropped_bytes", c.dropped}});
  }
  out["log_cuts"] = cuts;
  out["network"] = {{"passed_frames", r.network.passed_frames},
                    {"dropped_frames", r.network.dropped_frames},
                    {"last_dropped", r.network.last_dropped}};
  out["harness"] = {{"peak_rss_kib", r.harness.peak_rss_kib},
                    {"ignored_agent_replies", r.harness.ignored_agent_replies}};
  out["files"] = r.files;
  return out.dump(2) + "\n";
}

Status JsonWriter::write(const RunReport& report, const std::filesystem::path& run_dir) const {
  return write_file_atomic(run_dir / "report.json", render(report)).context("writing report.json");
}

}  // namespace wedge::reports
