// report.json: the machine-readable report every consumer (CI, dashboards, people) reads.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/text.h"
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
    case Verdict::kDataLoss:
      return "data_loss";
    case Verdict::kTimeout:
      return "timeout";
    case Verdict::kWorkloadFailed:
      return "workload_failed";
    case Verdict::kBootFailure:
      return "boot_failure";
    case Verdict::kInfraError:
      return "infra_error";
  }
  return "infra_error";
}

int exit_code_for(Verdict verdict, bool timeout_is_failure) {
  switch (verdict) {
    case Verdict::kPass:
      return 0;
    case Verdict::kTimeout:
      return timeout_is_failure ? 1 : 0;
    case Verdict::kInfraError:
      return 125;
    default:
      return 1;
  }
}

std::string describe(const Finding& f) {
  std::string out = f.kind;
  if (!f.subkind.empty()) out += fmt::format(" ({})", f.subkind);
  if (!f.guest.empty()) out += fmt::format(" in the {} guest", f.guest);
  out += " - " + f.title;
  std::vector<std::string> when;
  // A server guest's times are its own kernel's uptime, not the run's clock.
  const char* clock = f.guest.empty() ? "" : " of its uptime";
  if (f.onset_s) when.push_back(fmt::format("onset {:.1f} s{}", *f.onset_s, clock));
  if (f.detected_s) when.push_back(fmt::format("detected {:.1f} s{}", *f.detected_s, clock));
  if (f.during_fault) when.push_back("during an injected fault");
  if (f.console_silent_s && *f.console_silent_s >= 1) {
    when.push_back(fmt::format("console silent {:.0f} s", *f.console_silent_s));
  }
  if (!when.empty()) out += fmt::format(" ({})", fmt::join(when, ", "));
  return out;
}

namespace {

nlohmann::json server_guests_json(const std::vector<ServerGuestRecord>& guests) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& g : guests) {
    out.push_back({{"role", g.role},
                   {"name", g.name},
                   {"memory_mib", g.memory_mib},
                   {"boot_s", g.boot_s},
                   {"pinned_bytes", g.pinned_bytes}});
  }
  return out;
}

// A time in seconds, null when never measured (-1).
nlohmann::json seconds_or_null(double s) {
  return s < 0 ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace

nlohmann::json finding_json(const Finding& f) {
  using nlohmann::json;
  auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  // Titles, frames and task names come from the guest: only valid UTF-8 reaches the JSON.
  auto strings = [](const std::vector<std::string>& v) {
    json out = json::array();
    for (const auto& s : v) out.push_back(valid_utf8(s));
    return out;
  };
  json stacks = json::array();
  for (const auto& g : f.stacks) {
    stacks.push_back({{"count", g.count},
                      {"state", valid_utf8(g.state)},
                      {"tasks", strings(g.tasks)},
                      {"frames", strings(g.frames)}});
  }
  json out = {{"kind", f.kind},
              {"title", valid_utf8(f.title)},
              {"signature", valid_utf8(f.signature)},
              {"onset_s", optional(f.onset_s)},
              {"detected_s", optional(f.detected_s)},
              {"evidence", valid_utf8(f.evidence)},
              {"frames", strings(f.frames)},
              {"stacks", stacks},
              {"routes", strings(f.routes)},
              {"traces_s", optional(f.traces_s)}};
  if (!f.subkind.empty()) out["subkind"] = f.subkind;
  if (f.during_fault) out["during_fault"] = true;
  if (!f.guest.empty()) out["guest"] = f.guest;
  if (f.console_silent_s) out["console_silent_s"] = *f.console_silent_s;
  if (f.data && f.data->from_kernel) {
    const reports::DataDetails& d = *f.data;
    json data = {{"source", "kernel"}, {"device", d.device}};
    if (!d.file.empty()) data["file"] = valid_utf8(d.file);
    if (d.sector) {
      data["sector"] = *d.sector;
      data["device_offset"] = *d.sector * 512;
    }
    if (d.inode) data["inode"] = *d.inode;
    if (d.block) data["block"] = *d.block;
    if (!d.what.empty()) data["what"] = d.what;
    out["data"] = data;
  } else if (f.data) {
    json data = {
        {"file", valid_utf8(f.data->file)}, {"offset", f.data->offset}, {"length", f.data->length}};
    if (!f.data->syscall.empty()) data["syscall"] = valid_utf8(f.data->syscall);
    if (f.data->error) data["errno"] = f.data->error;
    if (!f.data->what.empty()) data["what"] = valid_utf8(f.data->what);
    out["data"] = data;
  }
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
                {"workload_signal", r.guest.workload_signal},
                {"workload",
                 {{"kind", r.workload_kind},
                  {"done", r.guest.workload_done},
                  {"total", r.guest.workload_total},
                  {"unit", r.guest.workload_unit},
                  {"phase", r.guest.workload_phase}}},
                {"dirty_peak_mib", r.guest.dirty_peak_mib},
                {"writeback_peak_mib", r.guest.writeback_peak_mib}};
  if (!r.guest.workload_result.is_null()) guest["workload"]["result"] = r.guest.workload_result;
  guest["workload_exit_code"] =
      r.guest.workload_exit_code ? json(*r.guest.workload_exit_code) : json(nullptr);
  json out = {
      {"schema_version", kReportSchemaVersion},
      {"wedge_version", r.wedge_version},
      {"run_id", r.run_id},
      {"scenario", r.scenario},
      {"scenario_file", r.scenario_file},
      {"started_at", r.started_at},
      {"verdict", to_string(r.verdict)},
      {"exit_code", exit_code_for(r.verdict, r.timeout_is_failure)},
      {"reason", valid_utf8(r.reason)},
      {"findings", findings},
      {"faults", faults},
      {"stalls", stalls},
      {"timings",
       {{"boot_s", seconds_or_null(r.boot_s)},
        {"domain_start_s", seconds_or_null(r.domain_start_s)},
        {"boot_cpu_wait_s", seconds_or_null(r.boot_cpu_wait_s)},
        {"domain_start_cpu_wait_s", seconds_or_null(r.domain_start_cpu_wait_s)},
        {"run_s", r.run_s}}},
      {"guest", guest},
      {"console", {{"bytes", r.console.bytes}, {"floods", floods}}},
      {"server",
       {{"name", r.server.name},
        {"bytes_written", r.server.bytes_written},
        {"bytes_read", r.server.bytes_read},
        {"connections", r.server.connections},
        {"guests", server_guests_json(r.server.guests)}}},
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
        {"boot_kernel", r.boot_kernel},
        {"initrd_bytes", r.initrd_bytes},
        {"pinned_bytes", r.pinned_bytes}}},
      {"agent", {{"rss_kb", r.agent_rss_kb}, {"memlocked_kb", r.agent_memlocked_kb}}},
  };
  if (r.cgroup.used) {
    json events = json::object();
    for (const auto& [name, count] : r.cgroup.events) events[name] = count;
    json cg = {{"path", "/sys/fs/cgroup/wedge"},
               {"current_peak_mib", r.cgroup.current_peak_mib},
               {"events", events}};
    cg["max_mib"] = r.cgroup.max_mib ? json(r.cgroup.max_mib) : json(nullptr);
    cg["high_mib"] = r.cgroup.high_mib ? json(r.cgroup.high_mib) : json(nullptr);
    cg["swap_max_mib"] = r.cgroup.swap_max_mib >= 0 ? json(r.cgroup.swap_max_mib) : json(nullptr);
    out["cgroup"] = cg;
  }
  json sysctl = json::object();
  for (const auto& s : r.sysctl) sysctl[s.key] = {{"set", s.set}, {"read_back", s.read_back}};
  out["sysctl"] = sysctl;
  out["limits"] = {{"timeout_is_failure", r.timeout_is_failure}};
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
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Status JsonWriter::write(const RunReport& report, const std::filesystem::path& run_dir) const {
  return write_file_atomic(run_dir / "report.json", render(report)).context("writing report.json");
}

}  // namespace wedge::reports
