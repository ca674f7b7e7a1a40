// Internal to faults/: the pieces every injector file shares (a start/stop pair of closures as
// an Injector, the "no target" error, a relay toggle) and one maker per fault kind, which
// make_injector (injectors.cpp) finds by the kind's enum.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/config/fault_kind_list.h"
#include "harness/faults/injectors.h"
#include "harness/storage/relay.h"

namespace wedge::faults {

using InjectorResult = Result<std::unique_ptr<Injector>>;

// An Injector from closures; an empty stop means nothing to undo.
[[nodiscard]] InjectorResult make_function_injector(std::string description,
                                                    std::function<Status()> start,
                                                    std::function<Status()> stop = {});
// "server-stall via pause: no nbdkit pause filter to act on"
[[nodiscard]] Error missing_target(const std::string& description, const char* what);
// "server-stall via signal", "delay"
[[nodiscard]] std::string describe_fault(const config::FaultConfig& fault);
// The fault's host server (its leg), or nullptr.
[[nodiscard]] storage::Server* server_for(const config::FaultConfig& fault,
                                          const InjectorTargets& targets);

// A relay fault that lasts: apply(faults, true) on start, apply(faults, false) on stop, on the
// relay of the fault's leg. It edits only its own fields, so relay faults overlap.
[[nodiscard]] InjectorResult make_relay_toggle(
    const config::FaultConfig& fault, const InjectorTargets& targets,
    std::function<void(storage::RelayFaults&, bool on)> apply);

// Routes of the kinds that have several, each in its family's file.
[[nodiscard]] InjectorResult make_stall_by_signal(const config::FaultConfig& fault,
                                                  const InjectorTargets& targets);
[[nodiscard]] InjectorResult make_stall_by_pause(const config::FaultConfig& fault,
                                                 const InjectorTargets& targets);
[[nodiscard]] InjectorResult make_rate_by_nbdkit(const config::FaultConfig& fault,
                                                 const InjectorTargets& targets);

// One maker per kind (fault_kind_list.h), found by make_injector.
#define WEDGE_FAULT_MAKER(e, file)                                                      \
  [[nodiscard]] InjectorResult make_##file##_injector(const config::FaultConfig& fault, \
                                                      const InjectorTargets& targets);
WEDGE_FAULT_KINDS(WEDGE_FAULT_MAKER)
#undef WEDGE_FAULT_MAKER

}  // namespace wedge::faults
