// Detector rules: which console events are kernel failures, when progress stops being a hang
// (silence: detector_silence.cpp), when a hang during an injected fault is forgiven (the guest
// recovered), and how findings rank into one verdict.
#include "harness/detect/detector.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>

#include "harness/detect/hang_title.h"
#include "harness/detect/io_error_site.h"
#include "harness/detect/verdict_rules.h"

namespace wedge::detect {

using console::EventKind;
using reports::Verdict;

void Detector::arm(double now_s, bool track_progress) {
  armed_ = true;
  track_progress_ = track_progress;
  last_heartbeat_s_ = now_s;
  last_progress_s_ = now_s;
  last_io_progress_s_ = now_s;
  if (samples_seen_) last_sample_s_ = now_s;
}

double Detector::last_answer_s() const {
  if (!samples_seen_) return last_heartbeat_s_;
  return std::min(last_heartbeat_s_, std::max(last_sample_s_, last_output_s_));
}

double Detector::progress_mark() const {
  return track_progress_ ? last_progress_s_ : last_io_progress_s_;
}

void Detector::io_moved(double now_s) {
  last_io_progress_s_ = std::max(last_io_progress_s_, now_s);
}

void Detector::on_sample(const GuestSample& sample, double now_s) {
  if (!samples_seen_) {
    samples_seen_ = true;
    first_sample_s_ = now_s;
    first_uptime_s_ = sample.uptime_s;
  }
  last_sample_s_ = now_s;
  clock_lag_s_ = (now_s - first_sample_s_) - (sample.uptime_s - first_uptime_s_);
  if (swap_pages_ && *swap_pages_ != sample.swap_pages) io_moved(now_s);
  swap_pages_ = sample.swap_pages;
  if (sample.sectors && sectors_ && *sectors_ != *sample.sectors) io_moved(now_s);
  sectors_ = sample.sectors;
  if (sample.inflight != inflight_) inflight_since_s_ = now_s;
  inflight_ = sample.inflight;
}

void Detector::add_finding(const std::string& kind, const std::string& title, double onset_s,
                           double now_s, const std::string& evidence,
                           const std::vector<std::string>& frames, bool wants_traces) {
  reports::Finding f = plain_finding(kind, title, evidence);
  f.frames = frames;
  add(std::move(f), onset_s, now_s, wants_traces);
}

void Detector::add(reports::Finding f, double onset_s, double now_s, bool wants_traces) {
  for (const auto& seen : findings_) {
    // Repeated messages are one finding; but one forgiven during a fault that comes back
    // once the fault is over is new, and counts.
    if (seen.signature == f.signature && (fault_active_ || !seen.during_fault)) return;
  }
  f.onset_s = onset_s;
  f.detected_s = now_s;
  f.during_fault = fault_active_;
  if (last_console_s_) f.console_silent_s = std::max(0.0, now_s - *last_console_s_);
  findings_.push_back(std::move(f));
  // A CPU named spinning retitles the hang that waits for it, whichever came first.
  (void)revise_cpu_waiting_hangs(&findings_);
  if (wants_traces) trace_requests_.push_back(findings_.size() - 1);
}

void Detector::declare_hang(reports::Finding f, double onset_s, double now_s,
                            std::optional<double> blocked_since_s) {
  if (hang_declared_) {
    // One hang is enough: to end the run, or to wait through a fault for recovery. Later
    // signs of it (the kernel's hung-task message after our own stall timer, or the other
    // way round) add nothing; a hang after the guest recovered is declared afresh. A report
    // naming the CPU that spins is kept: it retitles a hang that waits for that CPU.
    if (names_spinning_cpu(f)) add(std::move(f), onset_s, now_s, false);
    return;
  }
  // The kernel's watchdog reports a task blocked since before the fault ended up to its
  // timeout after the end: that task was caught in the fault, and the fault's hang is judged
  // by recovery (seen: nbd-server-stall, the warning 2.4 s after the stall, once the workload
  // had moved again, ended a run that had recovered).
  const bool of_the_fault = !fault_active_ && blocked_since_s && fault_end_s_ >= 0 &&
                            *blocked_since_s < fault_end_s_ && config_.recover;
  if (of_the_fault && forgiven_) return;  // a late report of the hang already forgiven
  hang_declared_ = true;
  const size_t before = findings_.size();
  add(std::move(f), onset_s, now_s, true);
  if (of_the_fault && findings_.size() > before) findings_.back().during_fault = true;
  if (!storage_lost_ && (of_the_fault || (fault_active_ && config_.recover))) {
    hung_in_fault_ = true;  // keep running: the guest must recover once the fault ends
  } else {
    done_ = true;
  }
}

void Detector::on_console_event(const console::Event& e, double now_s) {
  // Storage that stopped answering (nbd, NFS, iSCSI) is a hang as soon as the kernel says so.
  std::string kind = is_storage_stall(e.kind) ? "hang" : console::finding_kind(e.kind);
  if (kind == "crash") {
    if (e.kind == EventKind::kPanic && nmi_expected_ && e.title.find("NMI") != std::string::npos) {
      return;  // the panic our own NMI trace route causes
    }
    add(finding_from_event(e, "crash"), now_s, now_s, crash_seen_s_ < 0);
    if (crash_seen_s_ < 0) crash_seen_s_ = now_s;
  } else if (kind == "hang") {
    if (!armed_) {
      add(finding_from_event(e, "hang"), now_s, now_s, true);
      done_ = true;
    } else if (e.kind == EventKind::kHungTask) {
      declare_hang(finding_from_event(e, "hang"), now_s, now_s, now_s - stuck_for_s(e));
    } else {
      // The kernel says so late (nbd's stuck-request message comes 30 s on): the hang began
      // when the workload, or for a command its swap and device I/O, last moved.
      declare_hang(finding_from_event(e, "hang"), std::min(now_s, progress_mark()), now_s);
    }
  } else if (kind == "oom_kill") {
    oom_seen_ = true;
    if (!config_.oom_ok) add(finding_from_event(e, "oom_kill"), now_s, now_s, false);
  } else if (kind == "io_error") {
    if (!names_absorbed_device(e)) {
      add(finding_from_event(e, "io_error"), now_s, now_s, false);
      note_io_error_site(e);
    }
  }
  // Sysrq output and task stacks are evidence for traces, not verdicts by themselves.
}

void Detector::note_io_error_site(const console::Event& e) {
  auto site = parse_io_error_site(e.detail);
  if (!site) return;
  std::string signature = finding_from_event(e, "io_error").signature;
  for (auto& f : findings_) {
    if (f.signature != signature) continue;
    if (!f.data) {
      reports::DataDetails data;
      data.what = site->op;
      data.from_kernel = true;
      data.device = site->device;
      data.sector = site->sector;
      data.inode = site->inode;
      data.block = site->block;
      f.data = std::move(data);
    } else if (f.data->from_kernel && f.data->device == site->device) {
      // Later lines about the same error add what the first one lacked (ext4 names the inode).
      IoErrorSite known{f.data->device, f.data->sector, f.data->what, f.data->inode, f.data->block};
      if (merge_io_error_site(known, *site)) {
        f.data->sector = known.sector;
        f.data->what = known.op;
        f.data->inode = known.inode;
        f.data->block = known.block;
      }
    }
    if (f.data->from_kernel && f.data->file.empty() && f.data->inode) {
      for (const auto& [inode, path] : workload_files_) {
        if (inode == *f.data->inode) f.data->file = path;
      }
    }
    return;
  }
}

void Detector::on_workload_file(const std::string& path, uint64_t inode) {
  for (const auto& [known, _] : workload_files_) {
    if (known == inode) return;
  }
  if (workload_files_.size() >= kMaxWorkloadFiles) return;
  workload_files_.emplace_back(inode, path);
  for (auto& f : findings_) {
    if (f.data && f.data->from_kernel && f.data->file.empty() && f.data->inode == inode) {
      f.data->file = path;
    }
  }
}

bool Detector::names_absorbed_device(const console::Event& e) const {
  for (const std::string& device : absorbed_devices_) {
    for (const std::string* text : {&e.title, &e.detail}) {
      // A whole word: nbd1 must not match nbd10.
      for (size_t at = text->find(device); at != std::string::npos;
           at = text->find(device, at + 1)) {
        size_t end = at + device.size();
        bool starts = at == 0 || !std::isalnum(static_cast<unsigned char>((*text)[at - 1]));
        bool ends = end == text->size() || !std::isalnum(static_cast<unsigned char>((*text)[end]));
        if (starts && ends) return true;
      }
    }
  }
  return false;
}

void Detector::on_heartbeat(double now_s) { last_heartbeat_s_ = now_s; }

void Detector::on_progress(double now_s) {
  double gap = now_s - last_progress_s_;
  if (armed_ && gap >= config_.min_stall_s && gap < config_.stall_s && !hang_declared_) {
    stalls_.push_back(Stall{last_progress_s_, gap, fault_active_ || fault_seen_});
  }
  if (hung_in_fault_ && !fault_active_) recovered_ = true;
  last_progress_s_ = now_s;
  if (recovered_ && hung_in_fault_) {
    // Forgiven: the guest moved again after the fault ended. New hangs count afresh.
    hung_in_fault_ = false;
    hang_declared_ = false;
    forgiven_ = true;
  }
}

void Detector::on_workload_exit(int exit_code, int signal, bool verify_failed, double now_s) {
  workload_exited_ = true;
  workload_ok_ = exit_code == 0 && signal == 0;
  // With oom_ok, the OOM killer taking the workload (SIGKILL) is the allowed outcome.
  if (signal == 9 && oom_seen_ && config_.oom_ok) workload_ok_ = true;
  if (verify_failed) {
    add_finding("io_error", "swapped-out memory read back wrong", now_s, now_s,
                "workload verify mismatch");
  } else if (!workload_ok_) {
    bool explained = false;
    for (const auto& f : findings_) explained |= counts(f);
    if (!explained) {
      add_finding("workload_failed",
                  signal ? fmt::format("workload killed by signal {}", signal)
                         : fmt::format("workload exited {}", exit_code),
                  now_s, now_s, "workload exit status");
    }
  }
  done_ = true;
}

void Detector::on_workload_finding(const std::string& kind, const std::string& title,
                                   const reports::DataDetails& data, double now_s) {
  size_t before = findings_.size();
  add_finding(kind, title, now_s, now_s, "workload read-back");
  if (findings_.size() > before) findings_.back().data = data;
}

void Detector::on_deadline(double now_s) {
  if (done_) return;
  if (armed_ && !hang_declared_ && now_s - last_answer_s() >= config_.heartbeat_lost_s) {
    // A guest that stopped answering never ran out of time still moving.
    judge_silence(now_s);
    done_ = true;
    return;
  }
  bool alive = now_s - last_answer_s() < config_.heartbeat_lost_s;
  bool moving = !track_progress_ || now_s - last_progress_s_ < config_.stall_s;
  if (armed_ && alive && moving) {
    timed_out_ = true;
    done_ = true;
    return;
  }
  declare_hang(
      plain_finding("hang",
                    fmt::format("no workload progress for {:.0f} s when duration_s ran out",
                                now_s - last_progress_s_),
                    "progress"),
      last_progress_s_, now_s);
  done_ = true;
}

void Detector::on_domain_gone(const std::string& why, double now_s) {
  add_finding("crash", why, now_s, now_s, "domain state");
  done_ = true;
}

void Detector::on_storage_lost() {
  storage_lost_ = true;
  if (hung_in_fault_) {
    hung_in_fault_ = false;
    done_ = true;
  }
}

void Detector::on_fault(bool active, double now_s) {
  if (active) {
    fault_active_ = true;
    fault_seen_ = true;
    forgiven_ = false;
  } else if (fault_active_) {
    fault_active_ = false;
    fault_end_s_ = now_s;
  }
}

void Detector::tick(double now_s) {
  if (crash_seen_s_ >= 0 && now_s - crash_seen_s_ >= config_.crash_grace_s) done_ = true;
  if (!armed_ || done_) return;
  if (hung_in_fault_ && !fault_active_ && fault_end_s_ >= 0 &&
      now_s - std::max(fault_end_s_, last_progress_s_) >= config_.stall_s) {
    hung_in_fault_ = false;
    add_finding("hang",
                fmt::format("no recovery within {:.0f} s after the fault ended", config_.stall_s),
                fault_end_s_, now_s, "progress after fault", {}, true);
    done_ = true;
    return;
  }
  if (hang_declared_) return;
  if (now_s - last_answer_s() >= config_.heartbeat_lost_s) {
    judge_silence(now_s);
  } else if (auto deadlock = confirmed_deadlock(now_s)) {
    declare_hang(std::move(*deadlock), progress_mark(), now_s);
  } else if (track_progress_ && now_s - last_progress_s_ >= config_.stall_s) {
    declare_hang(
        plain_finding("hang",
                      fmt::format("no workload progress for {:.0f} s", now_s - last_progress_s_),
                      "progress"),
        last_progress_s_, now_s);
  }
}

reports::Finding Detector::plain_finding(const std::string& kind, const std::string& title,
                                         const std::string& evidence) {
  reports::Finding f;
  f.kind = kind;
  f.title = title;
  f.report = title;
  f.signature = signature_of(kind, title, "");
  f.evidence = evidence;
  return f;
}

std::optional<size_t> Detector::take_trace_request() {
  if (trace_requests_.empty()) return std::nullopt;
  size_t i = trace_requests_.front();
  trace_requests_.erase(trace_requests_.begin());
  return i;
}

void Detector::attach_traces(size_t finding, double traces_s, std::vector<std::string> routes,
                             std::vector<reports::StackGroup> stacks, std::string subkind,
                             std::string better_title) {
  if (finding >= findings_.size()) return;
  auto& f = findings_[finding];
  f.traces_s = traces_s;
  f.routes = std::move(routes);
  f.stacks = std::move(stacks);
  if (f.kind == "hang" && !subkind.empty()) f.subkind = std::move(subkind);
  if (!better_title.empty()) retitle_hang(&f, better_title);
  (void)revise_cpu_waiting_hangs(&findings_);
}

// A hang seen during an injected fault does not count when the scenario asked for recovery
// and the guest recovered (or the run ended before the verdict on recovery was due), unless
// the storage was lost for good.
bool Detector::counts(const reports::Finding& f) const {
  if (f.during_fault && config_.recover && f.kind == "hang" && !storage_lost_) return false;
  return true;
}

Verdict Detector::verdict() const {
  // The rules `wedge analyze` uses too: kernel failures before OOM kills before I/O errors,
  // and among kernel failures the root cause (verdict_rules.h).
  auto decided =
      deciding_finding(findings_, [this](const reports::Finding& f) { return counts(f); });
  if (decided) return verdict_for_kind(findings_[*decided].kind);
  if (infra_reason_) return Verdict::kInfraError;
  if (timed_out_) return Verdict::kTimeout;
  return workload_exited_ && workload_ok_ ? Verdict::kPass : Verdict::kInfraError;
}

std::string Detector::reason() const {
  auto decided =
      deciding_finding(findings_, [this](const reports::Finding& f) { return counts(f); });
  if (decided) return findings_[*decided].title;
  if (infra_reason_) return *infra_reason_;
  Verdict v = verdict();
  if (v == Verdict::kTimeout) {
    return "duration_s ran out while the workload was still making progress";
  }
  if (v == Verdict::kPass) {
    return recovered_ ? "workload finished; the guest recovered after the injected fault"
                      : "workload finished, no kernel findings";
  }
  return "run did not finish";
}

}  // namespace wedge::detect
