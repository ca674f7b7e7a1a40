// Routes what each pump of the guest streams brought in (samples, progress lines, heartbeats,
// console events) to the live numbers and to the detector. No clock, no I/O: the run loop and
// the scripted fake-Vm tests both drive it with their own time.
//
//   run::Monitor m(detector);
//   GuestSession s(vm, dir, clock, [&](const Pumped& p) { m.absorb(p, clock()); });
#pragma once

#include <cstdint>

#include "harness/console/flood_meter.h"
#include "harness/detect/detector.h"
#include "harness/run/guest_session.h"
#include "harness/workload_kinds/workload.h"
#include "reports/report.h"

namespace wedge::run {

struct LiveNumbers {
  reports::GuestNumbers guest;  // what goes into report.json
  double swap_used_mib = 0;     // latest sample
  double memfree_mib = 0;
  double dirty_mib = 0;
  double writeback_mib = 0;
  agent::Measure workload;  // the workload's last progress measure
  bool workload_reported = false;
  bool verify_failed = false;
  console::FloodMeter console;  // console bytes and floods
};

// The detector's view of one agent sample: guest clock, swap pages, the storage device's
// in-flight requests and sectors moved.   d.on_sample(detect_sample(snap), now);
[[nodiscard]] detect::GuestSample detect_sample(const agent::MemSnapshot& snap);

class Monitor {
 public:
  // workload: how its output lines read (null: no progress, no findings of its own).
  explicit Monitor(detect::Detector* detector, const workloads::WorkloadEntry* workload = nullptr)
      : detector_(detector), workload_(workload) {}
  void absorb(const Pumped& p, double now_s);
  [[nodiscard]] const LiveNumbers& numbers() const { return numbers_; }

 private:
  void absorb_line(const std::string& line, double now_s);

  detect::Detector* detector_;
  const workloads::WorkloadEntry* workload_;
  LiveNumbers numbers_;
  uint64_t last_swap_pages_ = 0;
};

}  // namespace wedge::run
