// The detector turns what a run observes (console events, agent heartbeats, workload progress
// and exit, domain state, fault windows) into findings and a verdict. It never reads a clock:
// every input carries the run time in seconds, so tests replay recorded streams with timing.
//
//   detect::Detector d({.stall_s = 20, .heartbeat_lost_s = 10, .recover = true});
//   d.arm(t);                       // the workload started: stalls count from now
//   d.on_console_event(e, t); d.on_heartbeat(t); d.on_progress(t); d.tick(t);
//   d.on_sample({.uptime_s = 12.9, .swap_pages = 4100, .inflight = 12}, t);
//   d.on_host({.qemu_cpu_s = 31.2, .qemu_wait_s = 80.5, .vcpu_cpu_s = 29.0, .vcpus = 2}, t);
//   if (auto i = d.take_trace_request()) { collect traces; d.attach_traces(*i, ...); }
//   if (d.done()) report(d.verdict(), d.findings());
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/console/events.h"
#include "harness/util/timeouts.h"
#include "reports/report.h"

namespace wedge::detect {

// Thresholds in seconds. The defaults are the timeout table's (harness/util/timeouts.h) for a
// KVM guest and the default stall; a run takes them from its own table with for_run().
struct DetectorConfig {
  double stall_s = in_seconds(Timeouts{}.stall());  // no workload progress this long = hang
  double heartbeat_lost_s = in_seconds(Timeouts{}.heartbeat_lost());  // no heartbeat = hang
  bool oom_ok = false;
  bool recover = true;  // after a fault ends, the run must make progress again
  // After a crash message, wait this long for the rest of it.
  double crash_grace_s = in_seconds(Timeouts{}.crash_report_grace);
  double min_stall_s = in_seconds(Timeouts{}.min_stall_recorded);  // shorter gaps: not recorded
  // Everything still this long (no progress, every vCPU halted, in-flight requests unchanged,
  // the storage server silent) is a confirmed deadlock, declared without waiting for stall_s.
  // 0: never confirm early.
  double deadlock_confirm_s = in_seconds(Timeouts{}.deadlock_confirm);
  // QEMU's CPU time is judged over this much of a silence.
  double starved_window_s = in_seconds(Timeouts{}.starved_window);
  // Guest clock this far behind the host's: the host starved it.
  double clock_lag_s = in_seconds(Timeouts{}.guest_clock_lag());

  // Every threshold from a run's table (scaled for its accelerator) and its scenario's stall_s.
  //   DetectorConfig c = DetectorConfig::for_run(Timeouts::for_accel(true), 20);  // stall 40 s
  [[nodiscard]] static DetectorConfig for_run(const Timeouts& t, int stall_s) {
    DetectorConfig c;
    c.stall_s = in_seconds(t.stall(stall_s));
    c.heartbeat_lost_s = in_seconds(t.heartbeat_lost());
    c.crash_grace_s = in_seconds(t.crash_report_grace);
    c.min_stall_s = in_seconds(t.min_stall_recorded);
    c.deadlock_confirm_s = in_seconds(t.deadlock_confirm);
    c.starved_window_s = in_seconds(t.starved_window);
    c.clock_lag_s = in_seconds(t.guest_clock_lag());
    return c;
  }
};

// What the detector reads from one agent sample (the guest's own clock and counters).
struct GuestSample {
  double uptime_s = 0;
  uint64_t swap_pages = 0;  // pswpin + pswpout
  // The storage device's requests in flight (reads + writes), and sectors read + written.
  std::optional<uint64_t> inflight = std::nullopt;
  std::optional<uint64_t> sectors = std::nullopt;
};

// Cumulative host-side counters the run loop reads while the guest runs; nullopt: unknown.
struct HostSample {
  // CPU time of all QEMU's threads, the time they were runnable but waited for a CPU, and the
  // CPU time of its vCPU threads alone.
  std::optional<double> qemu_cpu_s = std::nullopt;
  std::optional<double> qemu_wait_s = std::nullopt;
  std::optional<double> vcpu_cpu_s = std::nullopt;
  int vcpus = 0;
  // The relay in front of the storage server: bytes the guest sent it, bytes it sent back.
  std::optional<uint64_t> server_bytes_in = std::nullopt;
  std::optional<uint64_t> server_bytes_out = std::nullopt;
};

// A progress gap that ended by itself before the hang threshold.
struct Stall {
  double start_s = 0;
  double duration_s = 0;
  bool during_fault = false;
};

class Detector {
 public:
  explicit Detector(DetectorConfig config) : config_(config) {}

  // The workload started. track_progress: it reports a progress measure (bytes written, MiB
  // touched, ...; on_progress whenever it moves), so a stall in it is a hang; a user's command
  // need not, and only heartbeat loss counts.
  void arm(double now_s, bool track_progress = true);
  void on_console_event(const console::Event& event, double now_s);
  void on_heartbeat(double now_s);
  void on_progress(double now_s);
  // An agent sample: the guest answers (like a heartbeat), and swap or device I/O that moved is
  // progress for a command workload, which has no progress line of its own.
  void on_sample(const GuestSample& sample, double now_s);
  // A job's output line arrived: the guest answers even when the agent's samples give way to a
  // flood of output (its queue drops samples first).
  void on_guest_output(double now_s) { last_output_s_ = now_s; }
  // Host counters (any rate; the run loop sends a few per second). They tell a guest that stopped
  // answering (a hang) from a host that stopped running it (an infra error), and confirm a
  // deadlock early.
  void on_host(const HostSample& sample, double now_s);
  // The console printed something (any bytes): findings record how long it had been silent.
  void on_console_output(double now_s) { last_console_s_ = now_s; }
  void on_workload_exit(int exit_code, int signal, bool verify_failed, double now_s);
  // The workload found its own data wrong: kind "data_loss" or "io_error", with where.
  void on_workload_finding(const std::string& kind, const std::string& title,
                           const reports::DataDetails& data, double now_s);
  // The workload writes `path`, inode `inode`: a kernel I/O error naming that inode names the
  // file. At most kMaxWorkloadFiles are remembered.
  void on_workload_file(const std::string& path, uint64_t inode);
  static constexpr size_t kMaxWorkloadFiles = 64;
  // duration_s ran out: still progressing (or alive, when progress is not tracked) is a
  // timeout, not a kernel failure; no progress for stall_s is a hang, and a guest that stopped
  // answering (no heartbeat or sample) is a hang or, starved by the host, an infra error.
  void on_deadline(double now_s);
  void on_domain_gone(const std::string& why, double now_s);
  // The storage can never answer again (the kernel of the guest serving it died): no recovery
  // can come, so a hang during a fault is not waited through; it ends the run and counts.
  void on_storage_lost();
  // An injected fault became active / inactive (a stall, crash, squeeze...).
  void on_fault(bool active, double now_s);
  // The run is about to inject an NMI itself: the panic that follows is a trace route.
  void expect_nmi_panic() { nmi_expected_ = true; }
  // I/O errors on these block devices (RAID1 legs: md fails the leg and carries on) are
  // absorbed by the storage above them; they are not findings. Errors on the array are.
  void absorb_io_errors_on(std::vector<std::string> devices) {
    absorbed_devices_ = std::move(devices);
  }
  void tick(double now_s);

  // Index of a finding whose traces should be collected now (each is asked for once).
  [[nodiscard]] std::optional<size_t> take_trace_request();
  void attach_traces(size_t finding, double traces_s, std::vector<std::string> routes,
                     std::vector<reports::StackGroup> stacks, std::string subkind,
                     std::string better_title);

  [[nodiscard]] bool done() const { return done_; }
  [[nodiscard]] reports::Verdict verdict() const;
  [[nodiscard]] std::string reason() const;
  // Set when the host, not the kernel, stopped the run: the evidence ("QEMU got 0.4 s of CPU...").
  [[nodiscard]] const std::optional<std::string>& infra_reason() const { return infra_reason_; }
  [[nodiscard]] const std::vector<reports::Finding>& findings() const { return findings_; }
  [[nodiscard]] const std::vector<Stall>& stalls() const { return stalls_; }
  // True once the guest made progress again after a hang seen during a fault.
  [[nodiscard]] bool recovered() const { return recovered_; }

 private:
  void add_finding(const std::string& kind, const std::string& title, double onset_s, double now_s,
                   const std::string& evidence, const std::vector<std::string>& frames = {},
                   bool wants_traces = false);
  void add(reports::Finding finding, double onset_s, double now_s, bool wants_traces);
  // blocked_since_s: for the kernel's hung-task warning, the latest time its task can have
  // blocked (now less the watchdog's timeout), which ties a late warning to the fault.
  void declare_hang(reports::Finding finding, double onset_s, double now_s,
                    std::optional<double> blocked_since_s = std::nullopt);
  [[nodiscard]] static reports::Finding plain_finding(const std::string& kind,
                                                      const std::string& title,
                                                      const std::string& evidence);
  [[nodiscard]] bool in_fault() const { return fault_active_; }
  [[nodiscard]] bool counts(const reports::Finding& f) const;
  [[nodiscard]] bool names_absorbed_device(const console::Event& e) const;
  // A kernel I/O error event: where it happened, on the finding its message belongs to.
  void note_io_error_site(const console::Event& e);
  // When the guest last answered: the older of its last heartbeat and (once samples came) its
  // last sample or output line, so either stopping counts.
  [[nodiscard]] double last_answer_s() const;
  // The guest has not answered for heartbeat_lost_s: a hang, or an infra error when the host
  // evidence says the host stopped running it.
  void judge_silence(double now_s);
  // The host evidence that QEMU was starved over [since_s, now_s], or nullopt.
  [[nodiscard]] std::optional<std::string> host_starved(double since_s, double now_s) const;
  // When the workload last moved: its progress line, or swap, device I/O and server bytes for
  // a command workload.
  [[nodiscard]] double progress_mark() const;
  // A confirmed deadlock's finding, or nullopt while anything still moves.
  [[nodiscard]] std::optional<reports::Finding> confirmed_deadlock(double now_s) const;
  // The latest host sample taken at or before t (or the earliest one), nullptr if none.
  [[nodiscard]] const std::pair<double, HostSample>* host_at(double t) const;
  void io_moved(double now_s);

  DetectorConfig config_;
  std::optional<double> last_console_s_;
  bool armed_ = false;
  std::vector<std::string> absorbed_devices_;
  std::vector<std::pair<uint64_t, std::string>> workload_files_;  // inode, path
  bool track_progress_ = true;
  bool done_ = false;
  bool workload_exited_ = false;
  bool workload_ok_ = false;
  bool fault_active_ = false;
  bool fault_seen_ = false;
  double fault_end_s_ = -1;
  bool hung_in_fault_ = false;  // a hang was declared while a fault was active
  bool storage_lost_ = false;   // on_storage_lost: no recovery can come
  bool recovered_ = false;
  bool forgiven_ = false;  // the last fault's hang was forgiven (reset when a fault starts)
  bool hang_declared_ = false;
  bool timed_out_ = false;
  bool oom_seen_ = false;  // an OOM kill was on the console (allowed or not)
  bool nmi_expected_ = false;
  double last_heartbeat_s_ = 0;
  double last_progress_s_ = 0;
  std::optional<std::string> infra_reason_;
  // Agent samples: when the last came, and the guest clock against the host's.
  bool samples_seen_ = false;
  double last_sample_s_ = 0;
  double last_output_s_ = -1;
  double first_sample_s_ = 0;
  double first_uptime_s_ = 0;
  double clock_lag_s_ = 0;  // host time less guest time between the first and the last sample
  double last_io_progress_s_ = 0;
  std::optional<uint64_t> swap_pages_, sectors_;
  std::optional<uint64_t> inflight_;
  double inflight_since_s_ = 0;  // first sample with the current in-flight count
  // The relay's byte counts and when each last changed.
  std::optional<uint64_t> server_in_, server_out_;
  double server_in_since_s_ = 0, server_out_since_s_ = 0;
  std::deque<std::pair<double, HostSample>> host_;  // recent host samples, oldest first
  double crash_seen_s_ = -1;
  std::vector<reports::Finding> findings_;
  std::vector<size_t> trace_requests_;
  std::vector<Stall> stalls_;
};

}  // namespace wedge::detect
