// SIGINT/SIGTERM handling for long runs: the handler only sets a flag; the run loop polls it
// and unwinds normally, so teardown (domain, servers, report) runs on every exit path.
#pragma once

namespace wedge::run {

void install_interrupt_handlers();
[[nodiscard]] bool interrupted();
[[nodiscard]] int interrupt_signal();

}  // namespace wedge::run
