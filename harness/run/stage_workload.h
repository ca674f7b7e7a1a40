// Stage 6 of a run: the workload and its monitoring. Prepares the scenario's faults, starts the
// workload, and turns the loop: pump the guest's streams (console, agent) into the monitor and
// detector, look at the host side, step the faults and the [memory] settings, collect traces
// when the detector asks (stage_traces.h), show progress; until the detector is done, the
// deadline passes, the host fails or a signal comes. Then it reads the workload's cgroup
// numbers and result file into ctx.report and lets the console's last words arrive.
//
//   WorkloadStage stage(ctx, {&session, vm.get(), &transport, &detector, &monitor, &host,
//                             &workload});
//   GuestSession's observer calls stage.on_pump(now) (faults keep their schedule meanwhile)
//   WEDGE_CHECK(stage.run(setup.argv));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/detect/detector.h"
#include "harness/run/fault_driver.h"
#include "harness/run/guest_session.h"
#include "harness/run/host_monitor.h"
#include "harness/run/monitor.h"
#include "harness/run/run_context.h"
#include "harness/storage/transport.h"
#include "harness/vm/vm.h"
#include "harness/workload_kinds/workload.h"

namespace wedge::run {

struct WorkloadInput {
  GuestSession* session = nullptr;
  vm::Instance* vm = nullptr;
  storage::Transport* transport = nullptr;
  detect::Detector* detector = nullptr;
  Monitor* monitor = nullptr;
  HostMonitor* host = nullptr;
  const workloads::WorkloadEntry* workload = nullptr;
};

class WorkloadStage {
 public:
  WorkloadStage(RunContext& ctx, const WorkloadInput& input) : ctx_(ctx), in_(input) {}

  // Phase "workload" (and "traces" while collecting). An error: the faults or the workload
  // could not be started.
  [[nodiscard]] Status run(const std::vector<std::string>& argv);
  // After every pump of the guest, also those of a trace collection: faults keep their
  // schedule once the workload started.
  void on_pump(double now);
  // A hang or crash was found and its traces collected (for --keep-wedged).
  [[nodiscard]] bool wedged() const { return wedged_; }

 private:
  Status prepare_faults();
  void step_faults(double now);
  // Through the guest's vm::Balloon, if its backend has one.
  Status set_balloon_mib(int mib);
  void monitor(uint32_t workload_job);
  void show_progress(double now);
  void collect_traces();
  // A hang whose task waits for RCU or a CPU: keeps pumping, up to
  // timeouts.spinning_cpu_report() after the hang, for the kernel's report naming the CPU's
  // function (the detector retitles the hang when it comes).
  void wait_for_spinning_cpu_report();
  void read_cgroup_numbers();
  void read_workload_result();

  RunContext& ctx_;
  WorkloadInput in_;
  std::optional<FaultDriver> fault_driver_;
  double workload_start_s_ = 0;
  bool workload_started_ = false;
  bool balloon_applied_ = false;  // [memory] balloon_mib, once balloon_at_s passed
  bool wedged_ = false;
};

}  // namespace wedge::run
