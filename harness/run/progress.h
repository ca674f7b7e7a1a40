// Human progress output for long work: timestamped step lines, and a live status line
// (rewritten in place on a terminal, one line every few seconds otherwise).
//
//   run::Progress p(stdout_is_tty);
//   p.step("starting nbd-server");        // "[   1.2s] starting nbd-server"
//   p.status("swap 120 MiB | MemFree 3 MiB | heartbeat 0.4 s ago");
#pragma once

#include <chrono>
#include <string>

namespace wedge::run {

class Progress {
 public:
  explicit Progress(bool quiet = false);
  void step(const std::string& message);
  void status(const std::string& message);
  void finish_status();

 private:
  [[nodiscard]] double elapsed_s() const;
  std::chrono::steady_clock::time_point start_;
  bool quiet_;
  bool tty_;
  bool status_shown_ = false;
  double last_plain_status_s_ = -100;
};

}  // namespace wedge::run
