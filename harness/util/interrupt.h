// SIGINT/SIGTERM/SIGHUP handling for long commands: the first signal only sets a flag that every
// long wait polls (child processes, boot, workload, traces), so the run unwinds normally and
// teardown (domain, servers, report) runs; a second SIGINT or SIGTERM exits at once (125).
//
//   install_interrupt_handlers();
//   if (interrupted()) return interruption_error();   // "interrupted by SIGINT"
#pragma once

#include "harness/util/result.h"

namespace wedge {

// Exit status of a second signal (wedge could not test; teardown is left to `wedge gc`).
inline constexpr int kExitOnSecondSignal = 125;

void install_interrupt_handlers();
[[nodiscard]] bool interrupted();
// The signal that interrupted us, or 0.
[[nodiscard]] int interrupt_signal();
// "SIGINT", "SIGTERM", ... for the signal that interrupted us ("" when none).
[[nodiscard]] std::string interrupt_signal_name();
// The error every interrupted wait returns: "interrupted by SIGINT".
[[nodiscard]] Error interruption_error();
// For tests: forget an earlier signal.
void reset_interrupt_for_tests();

}  // namespace wedge
