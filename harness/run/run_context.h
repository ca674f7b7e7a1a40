// What every stage of one run shares: the scenario and options, the report being filled, the
// run directory, the run's clock, progress output and the phase an interrupt would hit. Each
// stage (stage_*.h) takes it with its own typed input and returns its own typed output.
//
//   RunContext ctx(scenario, options, progress, report);  ctx.run_dir = dir;
//   ctx.enter("image build");
//   ctx.note_host_event("libvirt connection lost");   // into report.host_events and progress
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "harness/config/scenario.h"
#include "harness/run/progress.h"
#include "harness/run/run_scenario.h"
#include "harness/util/timeouts.h"
#include "reports/report.h"

namespace wedge::run {

struct RunContext {
  RunContext(const config::Scenario& the_scenario, const RunOptions& the_options,
             Progress& the_progress, reports::RunReport& the_report)
      : scenario(the_scenario), options(the_options), progress(the_progress), report(the_report) {}

  const config::Scenario& scenario;
  const RunOptions& options;
  Progress& progress;
  reports::RunReport& report;
  std::filesystem::path run_dir;  // once the run has one
  // Scaled for the accelerator once the hypervisor stage chose it.
  Timeouts timeouts;
  // The phase SIGINT/SIGTERM would interrupt, for the report ("image build", "boot", ...).
  std::string phase = "start";
  // When the run began (its [limits] duration_s counts from here).
  std::chrono::steady_clock::time_point run_start = std::chrono::steady_clock::now();
  // The run's clock starts when the guest starts (boot); before that it counts from here.
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

  [[nodiscard]] double now_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  void enter(std::string name) { phase = std::move(name); }
  void note_host_event(const std::string& event) {
    report.host_events.push_back(event);
    progress.finish_status();
    progress.step("host: " + event);
  }
};

}  // namespace wedge::run
