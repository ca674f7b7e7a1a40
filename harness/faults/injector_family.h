// Internal to faults/: the pieces every injector family file shares (a start/stop pair of
// closures as an Injector, the "no target" error) and one maker per family, which
// make_injector (injectors.cpp) picks by fault kind.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "harness/faults/injectors.h"

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

// One per family file.
[[nodiscard]] InjectorResult make_server_injector(const config::FaultConfig& fault,
                                                  const InjectorTargets& targets);
[[nodiscard]] InjectorResult make_relay_injector(const config::FaultConfig& fault,
                                                 const InjectorTargets& targets);
[[nodiscard]] InjectorResult make_nbdkit_injector(const config::FaultConfig& fault,
                                                  const InjectorTargets& targets);
[[nodiscard]] InjectorResult make_guest_injector(const config::FaultConfig& fault,
                                                 const InjectorTargets& targets);

}  // namespace wedge::faults
