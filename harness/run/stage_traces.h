// Stage 7 of a run, entered from the workload stage whenever the detector asks: traces for a
// finding (task stacks through the agent or host-side sysrq, vCPU registers, a memory dump),
// then the hang's title from that evidence (detect/hang_title.h) attached to the finding.
//
//   TracesOutput t = collect_pending_traces(ctx, {&session, &vm, &detector, &host, &transport});
//   wedged |= t.collected > 0;
#pragma once

#include <cstddef>

#include "harness/detect/detector.h"
#include "harness/run/guest_session.h"
#include "harness/run/host_monitor.h"
#include "harness/run/run_context.h"
#include "harness/storage/transport.h"
#include "harness/vm/vm.h"

namespace wedge::run {

struct TracesInput {
  GuestSession* session = nullptr;
  vm::Instance* vm = nullptr;
  detect::Detector* detector = nullptr;
  HostMonitor* host = nullptr;              // the servers' silence names a hang
  storage::Transport* transport = nullptr;  // whether its server runs on the host
};

struct TracesOutput {
  size_t collected = 0;  // findings whose traces were collected (each one a hang or crash)
};

// Phase "traces" while collecting; the phase before it comes back unless interrupted.
[[nodiscard]] TracesOutput collect_pending_traces(RunContext& ctx, const TracesInput& input);

}  // namespace wedge::run
