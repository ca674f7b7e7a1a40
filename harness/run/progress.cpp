// Implementation of progress.h.
#include "harness/run/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "harness/util/text.h"

namespace wedge::run {

Progress::Progress(bool quiet)
    : start_(std::chrono::steady_clock::now()), quiet_(quiet), tty_(::isatty(1) == 1) {}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::step(const std::string& message) {
  if (quiet_) return;
  finish_status();
  // Messages quote the guest (finding titles, console tails): no control characters reach the
  // terminal.
  fmt::print("[{:7.1f}s] {}\n", elapsed_s(), printable(message, true));
  std::fflush(stdout);
}

void Progress::status(const std::string& message) {
  if (quiet_) return;
  if (tty_) {
    fmt::print("\r\033[K[{:7.1f}s] {}", elapsed_s(), printable(message));
    status_shown_ = true;
  } else if (elapsed_s() - last_plain_status_s_ >= 5) {
    fmt::print("[{:7.1f}s] {}\n", elapsed_s(), printable(message));
    last_plain_status_s_ = elapsed_s();
  }
  std::fflush(stdout);
}

void Progress::finish_status() {
  if (status_shown_) {
    fmt::print("\n");
    status_shown_ = false;
  }
}

}  // namespace wedge::run
