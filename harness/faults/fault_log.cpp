// Implementation of fault_log.h.
#include "harness/faults/fault_log.h"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/config/fault_kind.h"
#include "harness/util/files.h"

namespace wedge::faults {

namespace {

using nlohmann::ordered_json;

double millis(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

// The kind's declaration says which keys are its own (fault_kind.h), in its order.
ordered_json params_of(const config::FaultConfig& f) {
  const config::FaultKindSpec& spec = config::fault_kind(f.kind);
  ordered_json p = ordered_json::object();
  if (f.at_s) p["at_s"] = *f.at_s;
  if (!f.when.empty()) p["when"] = f.when;
  if (spec.lasting) p["duration_s"] = f.duration_s;
  if (!f.via.empty()) p["via"] = f.via;
  if (f.leg != 0) p["leg"] = f.leg;
  for (const config::ParamSpec& param : spec.params) {
    if (param.type == config::ParamType::kInt) {
      p[param.key] = f.int_param(param.key);
    } else {
      p[param.key] = f.param(param.key);
    }
  }
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
