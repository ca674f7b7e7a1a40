// Detector rules: which console events are kernel failures, when silence becomes a hang,
// and how findings rank into one verdict.
#include "harness/detect/detector.h"

#include <fmt/format.h>

namespace wedge::detect {

using console::EventKind;
using reports::Verdict;

void Detector::arm(double now_s, bool track_progress) {
  armed_ = true;
  track_progress_ = track_progress;
  last_heartbeat_s_ = now_s;
  last_progress_s_ = now_s;
}

void Detector::add_finding(std::string kind, std::string title, double onset_s, double now_s,
                           std::string evidence, std::vector<std::string> frames) {
  for (const auto& f : findings_) {
    if (f.kind == kind && f.title == title) return;  // repeated messages are one finding
  }
  findings_.push_back(reports::Finding{std::move(kind), std::move(title), onset_s, now_s,
                                       std::move(evidence), std::move(frames)});
}

void Detector::on_console_event(const console::Event& e, double now_s) {
  std::string evidence = fmt::format("console line {}", e.line);
  switch (e.kind) {
    case EventKind::kPanic:
    case EventKind::kOops:
    case EventKind::kBug:
    case EventKind::kGpf:
    case EventKind::kKasan:
    case EventKind::kWarning:
      add_finding("crash", e.title, now_s, now_s, evidence, e.frames);
      if (crash_seen_s_ < 0) crash_seen_s_ = now_s;
      break;
    case EventKind::kHungTask:
    case EventKind::kSoftLockup:
    case EventKind::kHardLockup:
    case EventKind::kRcuStall:
    case EventKind::kWorkqueueLockup:
      add_finding("hang", e.title, now_s, now_s, evidence, e.frames);
      done_ = true;
      break;
    case EventKind::kOomKill:
      if (!config_.oom_ok) add_finding("oom_kill", e.title, now_s, now_s, evidence);
      break;
    case EventKind::kIoError:
      add_finding("io_error", e.title, now_s, now_s, evidence);
      break;
    default:
      break;  // stuck requests, sysrq output: evidence for traces, not verdicts by themselves
  }
}

void Detector::on_heartbeat(double now_s) { last_heartbeat_s_ = now_s; }
void Detector::on_progress(double now_s) { last_progress_s_ = now_s; }

void Detector::on_workload_exit(int exit_code, int signal, bool verify_failed, double now_s) {
  workload_exited_ = true;
  workload_ok_ = exit_code == 0 && signal == 0;
  if (verify_failed) {
    add_finding("io_error", "swapped-out memory read back wrong", now_s, now_s,
                "workload verify mismatch");
  } else if (!workload_ok_ && findings_.empty()) {
    add_finding("workload_failed",
                signal ? fmt::format("workload killed by signal {}", signal)
                       : fmt::format("workload exited {}", exit_code),
                now_s, now_s, "workload exit status");
  }
  done_ = true;
}

void Detector::on_domain_gone(const std::string& why, double now_s) {
  add_finding("crash", why, now_s, now_s, "domain state");
  done_ = true;
}

void Detector::tick(double now_s) {
  if (crash_seen_s_ >= 0 && now_s - crash_seen_s_ >= config_.crash_grace_s) done_ = true;
  if (!armed_ || done_) return;
  if (now_s - last_heartbeat_s_ >= config_.heartbeat_lost_s) {
    add_finding("hang", fmt::format("agent heartbeat lost for {:.0f} s", now_s - last_heartbeat_s_),
                last_heartbeat_s_, now_s, "heartbeat");
    done_ = true;
  } else if (track_progress_ && now_s - last_progress_s_ >= config_.stall_s) {
    add_finding("hang", fmt::format("no workload progress for {:.0f} s", now_s - last_progress_s_),
                last_progress_s_, now_s, "progress");
    done_ = true;
  }
}

Verdict Detector::verdict() const {
  // Most severe first: a crash explains a hang that follows it, a hang explains an OOM.
  for (const char* kind : {"crash", "hang", "oom_kill", "io_error", "workload_failed"}) {
    for (const auto& f : findings_) {
      if (f.kind != kind) continue;
      if (f.kind == "crash") return Verdict::kCrash;
      if (f.kind == "hang") return Verdict::kHang;
      if (f.kind == "oom_kill") return Verdict::kUnexpectedOom;
      if (f.kind == "io_error") return Verdict::kIoError;
      return Verdict::kWorkloadFailed;
    }
  }
  return workload_exited_ && workload_ok_ ? Verdict::kPass : Verdict::kInfraError;
}

std::string Detector::reason() const {
  Verdict v = verdict();
  for (const auto& f : findings_) {
    if (reports::to_string(v) == f.kind || (v == Verdict::kUnexpectedOom && f.kind == "oom_kill") ||
        (v == Verdict::kWorkloadFailed && f.kind == "workload_failed")) {
      return f.title;
    }
  }
  return v == Verdict::kPass ? "workload finished, no kernel findings" : "run did not finish";
}

}  // namespace wedge::detect
