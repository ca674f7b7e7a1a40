// Drives a run's [[fault]] entries: builds their injectors, starts and stops each one as its
// schedule (at_s or `when` trigger) says on every step, and records every start, stop and
// failure in faults.jsonl, in report.json's faults and on the progress output. Tells the
// detector whether a fault is active (a hang during a fault may be forgiven).
//
//   FaultDriver faults(scenario.faults, progress, report.faults);
//   WEDGE_CHECK(faults.prepare(targets, run_dir / "faults.jsonl"));
//   faults.step(now, now - workload_start, monitor.numbers(), detector);   // every pump
//   faults.stop_all(now);                                                  // at the end
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/detect/detector.h"
#include "harness/faults/fault_log.h"
#include "harness/faults/injectors.h"
#include "harness/faults/schedule.h"
#include "harness/run/monitor.h"
#include "harness/run/progress.h"
#include "reports/report.h"

namespace wedge::run {

class FaultDriver {
 public:
  FaultDriver(const std::vector<config::FaultConfig>& faults, Progress& progress,
              std::vector<reports::FaultRecord>& report_faults)
      : faults_(faults), progress_(progress), report_faults_(report_faults) {}

  // Builds the injectors and the schedule; nothing starts yet. A no-op without faults.
  [[nodiscard]] Status prepare(const faults::InjectorTargets& targets,
                               const std::filesystem::path& fault_log);

  // Starts and stops faults due at workload time workload_s. Safe to call from inside a
  // fault's own start (a memory-max write pumps the guest): the inner call does nothing.
  void step(double now, double workload_s, const LiveNumbers& numbers, detect::Detector& detector);

  // Stops every fault still active (end of run, interrupt, error).
  void stop_all(double now);

 private:
  void step_now(double now, double workload_s, const LiveNumbers& numbers,
                detect::Detector& detector);
  void record_stop(double now, size_t i, const Status& s);

  const std::vector<config::FaultConfig>& faults_;
  Progress& progress_;
  std::vector<reports::FaultRecord>& report_faults_;
  std::vector<std::unique_ptr<faults::Injector>> injectors_;
  std::optional<faults::Schedule> schedule_;
  std::optional<faults::FaultLog> log_;
  std::vector<size_t> record_;  // fault index -> index in report_faults_ (or SIZE_MAX)
  bool stepping_ = false;
  int active_ = 0;
};

}  // namespace wedge::run
