// Implementation of fault_log.h.
#include "harness/faults/fault_log.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"

namespace wedge::faults {

namespace {

using nlohmann::ordered_json;

double millis(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

ordered_json params_of(const config::FaultConfig& f) {
  ordered_json p = ordered_json::object();
  if (f.at_s) p["at_s"] = *f.at_s;
  if (!f.when.empty()) p["when"] = f.when;
  if (config::traits_of(f.kind).lasting) {
    p["duration_s"] = f.duration_s;
  }
  if (!f.via.empty()) p["via"] = f.via;
  if (f.leg != 0) p["leg"] = f.leg;
  if (f.kind == config::FaultKind::kDelay) p["delay_ms"] = f.delay_ms;
  if (f.kind == config::FaultKind::kRate) p["rate_kib_s"] = f.rate_kib_s;
  if (f.kind == config::FaultKind::kError) p["error_rate"] = f.error_rate;
  if (f.kind == config::FaultKind::kBalloon) p["balloon_mib"] = f.balloon_mib;
  if (f.kind == config::FaultKind::kMemoryMax) p["memory_max_mib"] = f.memory_max_mib;
  if (f.kind == config::FaultKind::kServerRestart) p["restart_after_s"] = f.restart_after_s;
  return p;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string fault_params_json(const config::FaultConfig& fault) { return params_of(fault).dump(); }

std::string fault_log_line(double t_s, double unix_s, std::string_view event, size_t index,
                           const config::FaultConfig& fault, std::string_view action,
                           std::string_view error) {
  ordered_json j;
  j["t_s"] = millis(t_s);
  j["unix_s"] = millis(unix_s);
  j["event"] = event;
  j["index"] = index;
  j["kind"] = config::name_of(fault.kind);
  j["params"] = params_of(fault);
  if (!action.empty()) j["action"] = action;
  if (!error.empty()) j["error"] = error;
  return j.dump();
}

Status FaultLog::record_start(double t_s, size_t index, const config::FaultConfig& fault) {
  return append(fault_log_line(t_s, unix_now(), "start", index, fault));
}

Status FaultLog::record_stop(double t_s, size_t index, const config::FaultConfig& fault) {
  return append(fault_log_line(t_s, unix_now(), "stop", index, fault));
}

Status FaultLog::record_error(double t_s, size_t index, const config::FaultConfig& fault,
                              std::string_view action, const Error& error) {
  return append(fault_log_line(t_s, unix_now(), "error", index, fault, action, error.message()));
}

Status FaultLog::append(const std::string& line) {
  return append_file(path_, line + "\n").context("writing the fault log");
}

}  // namespace wedge::faults
