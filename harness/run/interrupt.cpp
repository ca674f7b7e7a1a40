// Implementation of interrupt.h with an async-signal-safe flag.
#include "harness/run/interrupt.h"

#include <csignal>

namespace wedge::run {

namespace {
volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_signal != 0; }
int interrupt_signal() { return g_signal; }

}  // namespace wedge::run
