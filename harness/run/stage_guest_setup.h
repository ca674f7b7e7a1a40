// Stage 5 of a run: the guest is set up for the workload. The transport attaches the storage,
// it is put to use (swap, filesystem, raw device), the workload's cgroup and the [sysctl]
// settings are applied (and recorded in ctx.report as they are), the guest's counters are
// watched, and the workload's argv is built.
//
//   WEDGE_TRY(GuestSetupOutput setup,
//             set_up_guest(ctx, session, {&transport, &workload, &detector}));
#pragma once

#include <string>
#include <vector>

#include "harness/detect/detector.h"
#include "harness/run/guest_session.h"
#include "harness/run/run_context.h"
#include "harness/storage/guest_use.h"
#include "harness/storage/transport.h"
#include "harness/workload_kinds/workload.h"

namespace wedge::run {

struct GuestSetupInput {
  storage::Transport* transport = nullptr;
  const workloads::WorkloadEntry* workload = nullptr;
  // Told which devices' I/O errors a redundant transport absorbs, once they are in use.
  detect::Detector* detector = nullptr;
};

struct GuestSetupOutput {
  storage::InUse in_use;          // where the storage is in the guest
  std::vector<std::string> argv;  // the workload's, in its cgroup when it has one
};

// Phase "guest setup".
[[nodiscard]] Result<GuestSetupOutput> set_up_guest(RunContext& ctx, GuestSession& session,
                                                    const GuestSetupInput& input);

// [memory] caps, or a memory-max fault, squeeze the workload's cgroup.
[[nodiscard]] bool needs_cgroup(const config::Scenario& scenario);

}  // namespace wedge::run
