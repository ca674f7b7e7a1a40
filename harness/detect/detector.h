// The detector turns what a run observes (console events, agent heartbeats, workload progress
// and exit, domain state) into findings and a verdict. It never reads a clock: every input
// carries the run time in seconds, so tests replay recorded streams with their timing.
//
//   detect::Detector d({.stall_s = 20, .heartbeat_lost_s = 10, .oom_ok = false});
//   d.arm(t);                       // the workload started: stalls count from now
//   d.on_console_event(e, t); d.on_heartbeat(t); d.on_progress(t); d.tick(t);
//   if (d.done()) report(d.verdict(), d.findings());
#pragma once

#include <string>
#include <vector>

#include "harness/console/events.h"
#include "reports/report.h"

namespace wedge::detect {

struct DetectorConfig {
  double stall_s = 20;           // no workload progress this long while armed = hang
  double heartbeat_lost_s = 10;  // no agent heartbeat this long while armed = hang
  bool oom_ok = false;
  double crash_grace_s = 2;  // after a crash message, wait this long for the rest of it
};

class Detector {
 public:
  explicit Detector(DetectorConfig config) : config_(config) {}

  // The workload started. track_progress: it reports progress (the hog does), so a stall in
  // its progress is a hang; a user's command need not, and only heartbeat loss counts.
  void arm(double now_s, bool track_progress = true);
  void on_console_event(const console::Event& event, double now_s);
  void on_heartbeat(double now_s);
  void on_progress(double now_s);
  void on_workload_exit(int exit_code, int signal, bool verify_failed, double now_s);
  void on_domain_gone(const std::string& why, double now_s);
  void tick(double now_s);

  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] reports::Verdict verdict() const;
  [[nodiscard]] std::string reason() const;
  [[nodiscard]] const std::vector<reports::Finding>& findings() const { return findings_; }

 private:
  void add_finding(std::string kind, std::string title, double onset_s, double now_s,
                   std::string evidence, std::vector<std::string> frames = {});

  DetectorConfig config_;
  bool armed_ = false;
  bool track_progress_ = true;
  bool done_ = false;
  bool workload_exited_ = false;
  bool workload_ok_ = false;
  double last_heartbeat_s_ = 0;
  double last_progress_s_ = 0;
  double crash_seen_s_ = -1;
  std::vector<reports::Finding> findings_;
};

}  // namespace wedge::detect
