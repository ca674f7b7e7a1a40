// Implementation of interrupt.h with an async-signal-safe flag; the second signal's exit uses
// only write(2) and _exit(2).
#include "harness/util/interrupt.h"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace wedge {

namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  if (g_signal != 0 && sig != SIGHUP) {
    static const char kMessage[] =
        "\nwedge: second signal, exiting now without teardown (`wedge gc` removes what is "
        "left)\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    (void)ignored;
    ::_exit(kExitOnSecondSignal);
  }
  g_signal = sig;
}

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

std::string interrupt_signal_name() {
  int sig = g_signal;
  if (sig == 0) return "";
  const char* name = sigabbrev_np(sig);
  return name != nullptr ? fmt::format("SIG{}", name) : fmt::format("signal {}", sig);
}

Error interruption_error() { return make_error("interrupted by {}", interrupt_signal_name()); }

void reset_interrupt_for_tests() { g_signal = 0; }

}  // namespace wedge
