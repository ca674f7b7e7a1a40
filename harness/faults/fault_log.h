// The run directory's faults.jsonl: one JSON object per line for every fault start, stop and
// failure, with host timestamps, so a report can line faults up with console and agent data.
//
//   faults::FaultLog log(run_dir / "faults.jsonl");
//   Status started = injectors[i]->start();
//   WEDGE_CHECK(started ? log.record_start(now_s, i, faults[i])
//                       : log.record_error(now_s, i, faults[i], "start", started.error()));
//
// A line: {"t_s":20.004,"unix_s":1763735001.512,"event":"start","index":0,
//          "kind":"server-stall","params":{"at_s":20,"duration_s":30,"via":"signal"}}
// An error line adds "action" ("start" or "stop") and "error" (the message).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "harness/config/scenario.h"
#include "harness/util/result.h"

namespace wedge::faults {

// The fault's trigger and kind-specific keys as a JSON object (the scenario's spelling).
[[nodiscard]] std::string fault_params_json(const config::FaultConfig& fault);

// One line without the newline. t_s: seconds since the workload started (the schedule's
// clock); unix_s: wall-clock time of the host.
[[nodiscard]] std::string fault_log_line(double t_s, double unix_s, std::string_view event,
                                         size_t index, const config::FaultConfig& fault,
                                         std::string_view action = {}, std::string_view error = {});

class FaultLog {
 public:
  explicit FaultLog(std::filesystem::path path) : path_(std::move(path)) {}

  [[nodiscard]] Status record_start(double t_s, size_t index, const config::FaultConfig& fault);
  [[nodiscard]] Status record_stop(double t_s, size_t index, const config::FaultConfig& fault);
  // action: "start" or "stop", what failed.
  [[nodiscard]] Status record_error(double t_s, size_t index, const config::FaultConfig& fault,
                                    std::string_view action, const Error& error);
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  [[nodiscard]] Status append(const std::string& line);
  std::filesystem::path path_;
};

}  // namespace wedge::faults
