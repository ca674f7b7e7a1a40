// The registry of workloads, keyed by config::WorkloadKind: one line per workload in
// workload_registry.cpp, and the load-time check every scenario's [workload] goes through.
//
//   WEDGE_CHECK(workloads::check_workload(scenario));      // after config::load_scenario
//   const workloads::WorkloadEntry& w = workloads::workload_entry(scenario.workload.kind);
#pragma once

#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

[[nodiscard]] const WorkloadEntry& workload_entry(config::WorkloadKind kind);

// Whatever the kind's own validate rejects (file:line); its keys were typed and checked against
// its declaration when the scenario loaded.
[[nodiscard]] Status check_workload(const config::Scenario& scenario);

}  // namespace wedge::workloads
