// Detector tests: scripted streams of heartbeats, progress, console events and fault windows
// with their timing, and the findings and verdict each must produce.
#include "harness/detect/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace wedge::detect {
namespace {

using reports::Verdict;

console::Event event(console::EventKind kind, const std::string& title) {
  console::Event e{};
  e.kind = kind;
  e.title = title;
  e.line = 1;
  return e;
}

// Drives a detector with a heartbeat every second and progress every second while `moving`
// says so, from t0 to t1 in 0.5 s steps.
void run_for(
    Detector& d, double t0, double t1, const std::function<bool(double)>& moving,
    const std::function<bool(double)>& beating = [](double) { return true; }) {
  for (double t = t0; t <= t1 && !d.done(); t += 0.5) {
    if (beating(t)) d.on_heartbeat(t);
    if (moving(t)) d.on_progress(t);
    d.tick(t);
  }
}

// Every threshold comes from the timeout table: guest waits scaled for TCG, host evidence not,
// and a default detector is a KVM run with the default stall.
TEST(Detector, ConfigForRunScalesGuestWaitsOnly) {
  DetectorConfig tcg = DetectorConfig::for_run(Timeouts::for_accel(/*tcg=*/true), 20);
  EXPECT_DOUBLE_EQ(tcg.stall_s, 40);
  EXPECT_DOUBLE_EQ(tcg.heartbeat_lost_s, 20);
  EXPECT_DOUBLE_EQ(tcg.clock_lag_s, 10);
  EXPECT_DOUBLE_EQ(tcg.deadlock_confirm_s, 3) << "host evidence: not scaled";
  EXPECT_DOUBLE_EQ(tcg.starved_window_s, 30);
  EXPECT_DOUBLE_EQ(tcg.crash_grace_s, 2);
  DetectorConfig kvm = DetectorConfig::for_run(Timeouts::for_accel(false), 20);
  EXPECT_DOUBLE_EQ(kvm.stall_s, 20);
  EXPECT_DOUBLE_EQ(kvm.heartbeat_lost_s, 10);
  EXPECT_DOUBLE_EQ(kvm.clock_lag_s, 5);
  DetectorConfig plain;
  DetectorConfig kvm_default = DetectorConfig::for_run(Timeouts{}, Timeouts::kDefaultStallS);
  EXPECT_DOUBLE_EQ(plain.stall_s, 10);
  EXPECT_DOUBLE_EQ(plain.stall_s, kvm_default.stall_s);
  EXPECT_DOUBLE_EQ(plain.heartbeat_lost_s, kvm_default.heartbeat_lost_s);
  EXPECT_DOUBLE_EQ(plain.clock_lag_s, kvm_default.clock_lag_s);
  EXPECT_DOUBLE_EQ(plain.min_stall_s, kvm_default.min_stall_s);
}

TEST(Detector, SteadyProgressThenExitIsPass) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  run_for(d, 0, 30, [](double) { return true; });
  d.on_workload_exit(0, 0, false, 30);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kPass);
  EXPECT_TRUE(d.findings().empty());
  EXPECT_TRUE(d.stalls().empty());
}

TEST(Detector, ShortGapIsAStallNotAHang) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  run_for(d, 0, 40, [](double t) { return t < 12 || t >= 18; });  // 6 s without progress
  d.on_workload_exit(0, 0, false, 40);
  EXPECT_EQ(d.verdict(), Verdict::kPass);
  ASSERT_EQ(d.stalls().size(), 1u);
  EXPECT_NEAR(d.stalls()[0].start_s, 11.5, 1e-9);
  EXPECT_NEAR(d.stalls()[0].duration_s, 6.5, 1e-9);
}

TEST(Detector, NoProgressForStallThresholdIsAHangAtTheThreshold) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  run_for(d, 0, 100, [](double t) { return t < 20; });
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  ASSERT_EQ(d.findings().size(), 1u);
  const auto& f = d.findings()[0];
  EXPECT_EQ(f.title, "no workload progress for 10 s");
  EXPECT_NEAR(*f.onset_s, 19.5, 1e-9);
  EXPECT_NEAR(*f.detected_s, 29.5, 1e-9);
  EXPECT_EQ(d.take_trace_request(), std::optional<size_t>(0));
  EXPECT_EQ(d.take_trace_request(), std::nullopt);  // asked for once
}

TEST(Detector, LostHeartbeatIsAHangEvenWithoutProgressTracking) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0, /*track_progress=*/false);
  run_for(
      d, 0, 100, [](double) { return false; }, [](double t) { return t < 7; });
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.findings()[0].title, "agent heartbeat lost for 5 s");
  EXPECT_NEAR(*d.findings()[0].detected_s, 11.5, 1e-9);
}

TEST(Detector, FindingsRecordHowLongTheConsoleWasSilent) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  d.on_console_output(3.0);
  d.on_console_output(12.0);  // the last thing the guest printed
  run_for(d, 0, 100, [](double t) { return t < 20; });
  ASSERT_EQ(d.findings().size(), 1u);
  ASSERT_TRUE(d.findings()[0].console_silent_s.has_value());
  EXPECT_NEAR(*d.findings()[0].console_silent_s, 29.5 - 12.0, 1e-9);
}

TEST(Detector, NoConsoleSeenMeansSilenceUnknown) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  run_for(d, 0, 100, [](double t) { return t < 20; });
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_FALSE(d.findings()[0].console_silent_s.has_value());
}

// Progress until 10 s, then a fault from 10 s during which nothing moves until until_s.
void stalled_in_a_fault(Detector& d, double until_s) {
  d.arm(0);
  run_for(d, 0, 9.5, [](double) { return true; });
  d.on_fault(true, 10);
  run_for(d, 10, until_s, [](double) { return false; });
}

// Progress until 10 s, then a 30 s fault during which nothing moves (a hang, forgiven if the
// guest recovers); the fault ends at 40 s.
void stall_through_a_fault(Detector& d) {
  stalled_in_a_fault(d, 39.5);
  d.on_fault(false, 40);
}

TEST(Detector, HangDuringFaultThatRecoversIsForgiven) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 30, .recover = true});
  stalled_in_a_fault(d, 39.5);  // the server is stopped for 30 s
  EXPECT_FALSE(d.done()) << "a hang during a fault must not end a run that may recover";
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_TRUE(d.findings()[0].during_fault);
  EXPECT_TRUE(d.take_trace_request().has_value()) << "traces are still wanted";
  d.on_fault(false, 40);
  run_for(d, 40, 60, [](double t) { return t >= 43; });
  d.on_workload_exit(0, 0, false, 60);
  EXPECT_TRUE(d.recovered());
  EXPECT_EQ(d.verdict(), Verdict::kPass);
  EXPECT_EQ(d.reason(), "workload finished; the guest recovered after the injected fault");
}

// Our stall timer and the kernel's hung-task watchdog both see the hang a fault causes, in
// either order: that is one hang, the first, and it alone asks for traces (seen in CI: the
// watchdog's line 10 s later was kept as a second hang with no stacks).
TEST(Detector, OneHangPerFaultWhicheverSignComesFirst) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stalled_in_a_fault(d, 25);
  ASSERT_EQ(d.findings().size(), 1u);
  d.on_console_event(event(console::EventKind::kHungTask, "INFO: task hung in __swap_writepage"),
                     26);
  run_for(d, 26, 39.5, [](double) { return false; });
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_EQ(d.findings()[0].evidence, "progress");
  EXPECT_TRUE(d.take_trace_request().has_value());
  EXPECT_FALSE(d.take_trace_request().has_value());

  Detector k({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stalled_in_a_fault(k, 14.5);  // the watchdog speaks before our stall timer
  k.on_console_event(event(console::EventKind::kHungTask, "INFO: task hung in __swap_writepage"),
                     15);
  run_for(k, 15, 39.5, [](double) { return false; });
  ASSERT_EQ(k.findings().size(), 1u);
  EXPECT_EQ(k.findings()[0].title, "INFO: task hung in __swap_writepage");
  k.on_fault(false, 40);
  run_for(k, 40, 60, [](double t) { return t >= 43; });
  k.on_workload_exit(0, 0, false, 60);
  EXPECT_EQ(k.verdict(), Verdict::kPass);
}

// The server guest's kernel died during the fault (nvme-tcp-server-squeeze: it panicked out of
// memory 1 s into the squeeze): no recovery can come, so the hang found during the fault ends
// the run at once and counts, instead of waiting out the fault and the stall threshold after it.
TEST(Detector, HangDuringFaultEndsTheRunOnceTheStorageIsLost) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stalled_in_a_fault(d, 25);
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_FALSE(d.done());
  d.on_storage_lost();
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_TRUE(d.findings()[0].during_fault);

  // Lost before the hang: the hang during the fault ends the run as it is declared.
  Detector e({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  e.arm(0);
  run_for(e, 0, 9.5, [](double) { return true; });
  e.on_fault(true, 10);
  e.on_storage_lost();
  EXPECT_FALSE(e.done()) << "nothing hung yet";
  run_for(e, 10, 39.5, [](double) { return false; });
  EXPECT_TRUE(e.done());
  EXPECT_EQ(e.verdict(), Verdict::kHang);
}

TEST(Detector, NoRecoveryAfterTheFaultIsAHang) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stall_through_a_fault(d);
  run_for(d, 40, 100, [](double) { return false; });
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "no recovery within 10 s after the fault ended");
  EXPECT_NEAR(*d.findings().back().detected_s, 50, 1e-9);
}

// The same hang again after the guest had recovered is a new finding that counts: it ends the
// run as a hang, not as a run that "did not finish" (seen: iscsi-server-stall hung in
// __rq_qos_throttle during the stall and again 58 s after it, and got infra_error with no
// reason, the second sighting folded into the forgiven first).
TEST(Detector, TheSameHangAgainAfterRecoveryCounts) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stall_through_a_fault(d);
  run_for(d, 40, 60, [](double t) { return t >= 43; });
  ASSERT_TRUE(d.recovered());
  ASSERT_FALSE(d.done());
  run_for(d, 60, 100, [](double) { return false; });
  ASSERT_TRUE(d.done());
  ASSERT_EQ(d.findings().size(), 2u);
  EXPECT_TRUE(d.findings()[0].during_fault);
  EXPECT_FALSE(d.findings()[1].during_fault);
  EXPECT_EQ(d.findings()[1].signature, d.findings()[0].signature);
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), d.findings()[1].title);
}

console::Event hung_task_warning(const std::string& frame) {
  console::Event e = event(console::EventKind::kHungTask, "INFO: task hung in " + frame);
  e.detail = "INFO: task kworker/u4:1:57 blocked for more than 10 seconds.";
  return e;
}

// The kernel's watchdog names a task blocked for at least its timeout (10 s): a warning 4 s
// after the fault ended is about a task caught in the fault, which the guest has recovered
// from; it is no new hang (seen: nbd-server-stall ended as a hang on such a warning). One
// 20 s after the fault is about a task blocked since after it: that counts.
TEST(Detector, LateWatchdogWarningOfTheForgivenHangIsNoNewHang) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stall_through_a_fault(d);
  run_for(d, 40, 44, [](double t) { return t >= 42; });
  ASSERT_TRUE(d.recovered());
  d.on_console_event(hung_task_warning("__rq_qos_throttle"), 44);
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.findings().size(), 1u);
  run_for(d, 44, 60, [](double) { return true; });
  d.on_console_event(hung_task_warning("__rq_qos_throttle"), 60);
  ASSERT_TRUE(d.done());
  ASSERT_EQ(d.findings().size(), 2u);
  EXPECT_FALSE(d.findings()[1].during_fault);
  EXPECT_EQ(d.verdict(), Verdict::kHang);
}

// No hang was declared while a short fault lasted; the watchdog's warning just after it names
// a task caught in it: a hang of the fault, forgiven when the guest moves again.
TEST(Detector, WatchdogWarningJustAfterAShortFaultWaitsForRecovery) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = true});
  stalled_in_a_fault(d, 14.5);
  d.on_fault(false, 15);
  d.on_console_event(hung_task_warning("__swap_writepage"), 18);
  EXPECT_FALSE(d.done());
  ASSERT_EQ(d.findings().size(), 1u);
  EXPECT_TRUE(d.findings()[0].during_fault);
  EXPECT_TRUE(d.take_trace_request().has_value());
  run_for(d, 18, 30, [](double t) { return t >= 20; });
  d.on_workload_exit(0, 0, false, 30);
  EXPECT_TRUE(d.recovered());
  EXPECT_EQ(d.verdict(), Verdict::kPass);
}

TEST(Detector, WithoutRecoverAHangDuringAFaultCounts) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60, .recover = false});
  d.arm(0);
  d.on_fault(true, 1);
  run_for(d, 0, 100, [](double) { return false; });
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
}

TEST(Detector, HungTaskMessageIsAHangAtOnce) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 100});
  d.arm(0);
  d.on_console_event(
      event(console::EventKind::kHungTask, "INFO: task hung in folio_wait_writeback"), 31.8);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "INFO: task hung in folio_wait_writeback");
}

TEST(Detector, CrashWaitsForTheRestOfTheOopsThenWins) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  d.on_console_event(event(console::EventKind::kOops, "BUG: kernel NULL pointer dereference in f"),
                     5);
  d.on_heartbeat(6);
  d.tick(6);
  EXPECT_FALSE(d.done());
  d.tick(7.5);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kCrash);
}

TEST(Detector, PanicFromOurOwnNmiIsNotACrash) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  d.on_console_event(event(console::EventKind::kHungTask, "INFO: task hung in x"), 20);
  d.expect_nmi_panic();
  d.on_console_event(event(console::EventKind::kPanic, "kernel panic: NMI: Not continuing"), 25);
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.findings().size(), 1u);
}

TEST(Detector, OomKillCountsOnlyWhenNotAllowed) {
  for (bool oom_ok : {false, true}) {
    Detector d({.stall_s = 10, .heartbeat_lost_s = 5, .oom_ok = oom_ok});
    d.arm(0);
    d.on_console_event(event(console::EventKind::kOomKill, "out of memory: killed hog"), 3);
    d.on_workload_exit(0, 9, false, 4);
    // With oom_ok, the OOM killer taking the workload is the allowed outcome: a pass.
    EXPECT_EQ(d.verdict(), oom_ok ? Verdict::kPass : Verdict::kUnexpectedOom);
  }
}

TEST(Detector, WorkloadDataFindingsAreDataLossOrIoError) {
  Detector d({});
  d.arm(0);
  d.on_workload_finding(
      "data_loss", "data lost in /mnt/wedge/f at offset 4096, 4096 bytes",
      reports::DataDetails::of_workload("/mnt/wedge/f", 4096, 4096, "", 0, "mismatch"), 3);
  d.on_workload_exit(3, 0, false, 4);
  EXPECT_EQ(d.verdict(), Verdict::kDataLoss);
  ASSERT_EQ(d.findings().size(), 1u) << "the exit is explained, not a workload_failed";
  EXPECT_EQ(d.findings()[0].data->offset, 4096u);
  Detector e({});
  e.arm(0);
  e.on_workload_finding("io_error", "write ...",
                        reports::DataDetails::of_workload("/f", 0, 1, "write", 5, ""), 3);
  e.on_workload_exit(4, 0, false, 4);
  EXPECT_EQ(e.verdict(), Verdict::kIoError);
}

TEST(Detector, DeadlineWhileProgressingIsTimeoutElseHang) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  for (double t = 1; t <= 50; t += 1) {
    d.on_heartbeat(t);
    d.on_progress(t);
    d.tick(t);
  }
  d.on_deadline(50);
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kTimeout);
  EXPECT_EQ(reports::exit_code_for(Verdict::kTimeout), 0);
  EXPECT_EQ(reports::exit_code_for(Verdict::kTimeout, true), 1);
  Detector stuck({.stall_s = 100, .heartbeat_lost_s = 5});
  stuck.arm(0);
  for (double t = 1; t <= 50; t += 1) stuck.on_heartbeat(t);
  stuck.on_progress(10);
  stuck.on_deadline(50.5);
  EXPECT_EQ(stuck.verdict(), Verdict::kTimeout) << "40 s gap is below stall_s = 100";
  Detector hung({.stall_s = 10, .heartbeat_lost_s = 5});
  hung.arm(0);
  hung.on_heartbeat(49);
  hung.on_deadline(50);
  EXPECT_EQ(hung.verdict(), Verdict::kHang);
}

TEST(Detector, VerifyMismatchIsAnIoError) {
  Detector d({});
  d.arm(0);
  d.on_workload_exit(3, 0, true, 4);
  EXPECT_EQ(d.verdict(), Verdict::kIoError);
  EXPECT_EQ(d.reason(), "swapped-out memory read back wrong");
}

TEST(Detector, TracesImproveTheHangFinding) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60});
  d.arm(0);
  run_for(d, 0, 100, [](double) { return false; });
  auto i = d.take_trace_request();
  ASSERT_TRUE(i.has_value());
  reports::StackGroup g{
      3, "D", {"hog:1", "hog:2", "kswapd0:36"}, {"io_schedule", "folio_wait_writeback"}};
  d.attach_traces(*i, 12.5, {"agent"}, {g}, "deadlock", "hang in folio_wait_writeback");
  const auto& f = d.findings()[*i];
  EXPECT_EQ(f.subkind, "deadlock");
  EXPECT_EQ(f.title, "hang in folio_wait_writeback");
  EXPECT_EQ(*f.traces_s, 12.5);
  EXPECT_EQ(f.stacks[0].count, 3);
}

// RAID1: I/O errors on a leg md fails and carries on without are absorbed; on the array (or a
// device whose name merely starts the same) they are findings.
TEST(Detector, IoErrorsOnAbsorbedRaidLegsAreNotFindings) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 5});
  d.arm(0);
  d.absorb_io_errors_on({"nbd0", "nbd1"});
  console::Event leg = event(console::EventKind::kIoError, "I/O error on nbd1");
  leg.detail =
      "I/O error, dev nbd1, sector 1352 op 0x1:(WRITE) flags 0x4000 phys_seg 1 prio class 2";
  d.on_console_event(leg, 5);
  EXPECT_TRUE(d.findings().empty());
  d.on_console_event(event(console::EventKind::kIoError, "I/O error on nbd10"), 6);
  d.on_console_event(event(console::EventKind::kIoError, "I/O error on md0"), 7);
  ASSERT_EQ(d.findings().size(), 2u);
  EXPECT_EQ(d.findings()[0].title, "I/O error on nbd10");
  EXPECT_EQ(d.findings()[1].title, "I/O error on md0");
  EXPECT_EQ(d.verdict(), Verdict::kIoError);
}

// ---- A guest that stops answering, a host that stops running it, and confirmed deadlocks ----

// The host side of a scripted run: QEMU's counters as functions of time.
struct HostScript {
  std::function<double(double)> qemu_cpu = [](double t) { return t; };  // one CPU busy
  std::function<double(double)> qemu_wait = [](double) { return 0.0; };
  std::function<double(double)> vcpu_cpu = [](double t) { return t; };
  std::function<uint64_t(double)> server_in = [](double t) { return uint64_t(t * 1000); };
  std::function<uint64_t(double)> server_out = [](double t) { return uint64_t(t * 1000); };
  bool server = true;
  HostSample at(double t) const {
    HostSample h;
    h.qemu_cpu_s = qemu_cpu(t);
    h.qemu_wait_s = qemu_wait(t);
    h.vcpu_cpu_s = vcpu_cpu(t);
    h.vcpus = 2;
    if (server) {
      h.server_bytes_in = server_in(t);
      h.server_bytes_out = server_out(t);
    }
    return h;
  }
};

// One scripted stream: every 0.5 s the host sample; every second (while each says so) a
// heartbeat, an agent sample and workload progress.
struct Script {
  HostScript host;
  std::function<bool(double)> beating = [](double) { return true; };
  std::function<bool(double)> sampling = [](double) { return true; };
  std::function<bool(double)> moving = [](double) { return true; };
  std::function<double(double)> uptime = [](double t) { return t + 5; };
  std::function<uint64_t(double)> swap_pages = [](double t) { return uint64_t(t * 100); };
  std::function<std::optional<uint64_t>(double)> inflight = [](double) {
    return std::optional<uint64_t>(1);
  };
  void run(Detector& d, double t0, double t1) const {
    for (double t = t0; t <= t1 + 1e-9 && !d.done(); t += 0.5) {
      d.on_host(host.at(t), t);
      bool whole = std::fmod(t, 1.0) == 0;
      if (whole && beating(t)) d.on_heartbeat(t);
      if (whole && sampling(t)) {
        GuestSample s;
        s.uptime_s = uptime(t);
        s.swap_pages = swap_pages(t);
        s.inflight = inflight(t);
        s.sectors = s.swap_pages * 8;
        d.on_sample(s, t);
      }
      if (whole && moving(t)) d.on_progress(t);
      d.tick(t);
    }
  }
};

// The loaded-host run: the module's kthread blocked, the agent's samples stopped 10 s
// in while its heartbeats went on, and the run ended "timeout" at duration_s. A command
// workload tracks no progress, so only the lost samples can say the guest stopped.
TEST(Detector, SamplesThatStopWhileHeartbeatsComeAreAHangNotATimeout) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 20});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.sampling = [](double t) { return t <= 10; };
  s.swap_pages = [](double) { return uint64_t(0); };
  s.inflight = [](double) { return std::optional<uint64_t>(0); };
  s.run(d, 0, 150);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "agent samples lost for 20 s while its heartbeats still came");
  EXPECT_NEAR(*d.findings()[0].detected_s, 30, 1e-9);
  EXPECT_NEAR(*d.findings()[0].onset_s, 10, 1e-9);
}

// Even with no tick between the last sample and duration_s, the deadline must not call a
// silent guest still moving.
TEST(Detector, DeadlineAfterTheSamplesStoppedIsNeverATimeout) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 20});
  d.arm(0, /*track_progress=*/false);
  d.on_sample({.uptime_s = 5}, 1);
  for (double t = 1; t <= 150; t += 1) d.on_heartbeat(t);
  d.on_deadline(150);
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_NE(d.verdict(), Verdict::kTimeout);
}

TEST(Detector, LostHeartbeatWhileQemuRunsIsAHang) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 20});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.beating = s.sampling = [](double t) { return t <= 10; };  // QEMU busy all along
  s.run(d, 0, 60);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "agent heartbeat lost for 20 s");
  EXPECT_FALSE(d.infra_reason());
}

// An idle, deadlocked guest: QEMU uses almost no CPU, but it never waits for one either. That
// is the guest's doing, not the host's.
TEST(Detector, SilentGuestWithIdleQemuIsAHangNotInfra) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 20});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.beating = s.sampling = [](double t) { return t <= 10; };
  s.host.qemu_cpu = [](double t) { return 30 + 0.01 * t; };
  s.host.qemu_wait = [](double t) { return 2 + 0.001 * t; };
  s.run(d, 0, 60);
  EXPECT_EQ(d.verdict(), Verdict::kHang);
}

// The host stopped running the guest: QEMU's threads were runnable (waiting for a CPU) but got
// 0.4 s of it in 20 s. An infra error with the evidence, never a kernel hang or a timeout.
TEST(Detector, QemuCpuTimeFrozenIsAnInfraErrorWithTheEvidence) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 20});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.beating = s.sampling = [](double t) { return t <= 10; };
  s.host.qemu_cpu = [](double t) { return t <= 10 ? 20 + t : 30 + 0.02 * (t - 10); };
  s.host.qemu_wait = [](double t) { return t <= 10 ? 1.0 : 1 + 1.8 * (t - 10); };
  s.run(d, 0, 60);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kInfraError);
  EXPECT_TRUE(d.findings().empty());
  EXPECT_EQ(d.reason(),
            "the host stopped running the guest: QEMU got 0.4 s of CPU in the last 20 s of wall "
            "time (its threads waited 36.0 s for one); guest clock kept up with the host; no "
            "agent answer for 20 s");
}

// The guest's own clock (its samples' uptime) fell 12.9 s behind the host's before it went
// silent: the host was not running it, whatever QEMU's counters say.
TEST(Detector, GuestClockFarBehindTheHostIsAnInfraError) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 20, .clock_lag_s = 10});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.beating = s.sampling = [](double t) { return t <= 43; };
  s.uptime = [](double t) { return 5 + t * 0.7; };  // 43 s of host time, 30.1 s of guest time
  s.run(d, 0, 100);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.verdict(), Verdict::kInfraError);
  EXPECT_NE(d.reason().find("guest clock 12.9 s behind host"), std::string::npos) << d.reason();
}

// A guest that stops at 20 s: progress and swap stop, the device's requests go from 3 to 12
// and stay, and every vCPU halts. The server's counters are each test's own.
Script guest_stopped_at_20() {
  Script s;
  s.moving = [](double t) { return t <= 20; };
  s.swap_pages = [](double t) { return uint64_t(std::min(t, 20.0) * 100); };
  s.inflight = [](double t) { return std::optional<uint64_t>(t < 20 ? 3 : 12); };
  s.host.vcpu_cpu = [](double t) { return std::min(t, 20.0) + 0.001 * t; };
  return s;
}

// A storage server stalled by a fault mid-swap: progress stops at 20 s, the device holds
// 12 requests, every vCPU halts and the server sends nothing back. Confirmed 3 s later (not
// at stall_s), with the onset where progress stopped and the server named.
TEST(Detector, ConfirmedDeadlockIsDeclaredWithinFiveSecondsOfOnset) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 20, .deadlock_confirm_s = 3});
  d.arm(0);
  d.on_fault(true, 19);
  Script s = guest_stopped_at_20();
  s.host.server_in = [](double t) { return uint64_t(std::min(t, 20.5) * 1000); };
  s.host.server_out = [](double t) { return uint64_t(std::min(t, 20.0) * 1000); };
  s.run(d, 0, 60);
  // Found during the fault (the run then waits to see whether the guest recovers).
  ASSERT_FALSE(d.findings().empty());
  EXPECT_TRUE(d.findings().at(0).during_fault);
  const auto& f = d.findings().at(0);
  EXPECT_EQ(f.title, "storage server answered none of 12 requests for 3 s");
  EXPECT_NEAR(*f.onset_s, 20, 1e-9);
  EXPECT_LE(*f.detected_s - *f.onset_s, 5);
  EXPECT_GE(*f.detected_s - *f.onset_s, 3);
}

// No fault, and the server's answer was the last thing on the wire (virtio_net's refill
// deadlock: the answer waits in the guest's receive ring): the guest stopped, confirmed fast.
TEST(Detector, GuestStoppedAfterTheServersLastAnswerIsConfirmedWithoutAFault) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 20, .deadlock_confirm_s = 3});
  d.arm(0);
  Script s = guest_stopped_at_20();
  s.host.server_in = [](double t) { return uint64_t(std::min(t, 19.0) * 1000); };
  s.host.server_out = [](double t) { return uint64_t(std::min(t, 20.0) * 1000); };
  s.run(d, 0, 60);
  ASSERT_FALSE(d.findings().empty());
  EXPECT_LE(*d.findings()[0].detected_s, 25);
}

// The same stillness with no fault injected: a host server slow for a few seconds (a nightly
// run: tgtd sent nothing for 3 s while reading a file back, then went on) is not confirmed as a
// deadlock; the stall rule decides, and here the server answers again before it would.
TEST(Detector, HostServerSilentWithoutAFaultIsNotConfirmedFast) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 20, .deadlock_confirm_s = 3});
  d.arm(0);
  Script s;
  s.moving = [](double t) { return t <= 20 || t >= 27; };
  s.swap_pages = [](double t) { return uint64_t((t < 20 || t >= 27 ? t : 20.0) * 100); };
  s.inflight = [](double t) { return std::optional<uint64_t>(t >= 20 && t < 27 ? 12 : 3); };
  s.host.vcpu_cpu = [](double t) { return t < 20 ? t : (t < 27 ? 20 + 0.001 * t : t - 7); };
  s.host.server_in = [](double t) { return uint64_t((t < 20.5 || t >= 27 ? t : 20.5) * 1000); };
  s.host.server_out = [](double t) { return uint64_t((t < 20 || t >= 27 ? t : 20.0) * 1000); };
  s.run(d, 0, 60);
  EXPECT_TRUE(d.findings().empty()) << d.findings().at(0).title;
  EXPECT_NE(d.verdict(), Verdict::kHang);
}

// Everything still except the vCPUs: a guest that spins (or crawls on a loaded host) is not a
// confirmed deadlock; it keeps the stall threshold.
TEST(Detector, BusyVcpusKeepTheStallThreshold) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 30, .deadlock_confirm_s = 3});
  d.arm(0);
  Script s;
  s.moving = [](double t) { return t <= 20; };
  s.swap_pages = [](double t) { return uint64_t(std::min(t, 20.0) * 100); };
  s.inflight = [](double) { return std::optional<uint64_t>(12); };
  s.host.server_in =
      s.host.server_out = [](double t) { return uint64_t(std::min(t, 20.0) * 1000); };
  s.run(d, 0, 60);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.reason(), "no workload progress for 20 s");
  EXPECT_NEAR(*d.findings()[0].detected_s, 40, 1e-9);
}

// A slow guest under load: progress only every 4 s, vCPUs mostly idle, 12 requests in flight,
// but the server keeps answering. Not a deadlock, not a hang: the run passes.
TEST(Detector, SlowButMovingGuestIsNotConfirmed) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 30, .deadlock_confirm_s = 3});
  d.arm(0);
  Script s;
  s.moving = [](double t) { return std::fmod(t, 4.0) == 0; };
  s.inflight = [](double) { return std::optional<uint64_t>(12); };
  s.host.vcpu_cpu = [](double t) { return 0.01 * t; };
  s.run(d, 0, 60);
  EXPECT_FALSE(d.done());
  d.on_workload_exit(0, 0, false, 60);
  EXPECT_EQ(d.verdict(), Verdict::kPass);
  EXPECT_TRUE(d.findings().empty());
}

// No relay (the guest serves itself, as in the loopback deadlock): the device's unchanged
// in-flight count and halted vCPUs confirm it.
TEST(Detector, ConfirmedDeadlockWithoutAStorageServer) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 30, .deadlock_confirm_s = 3});
  d.arm(0);
  Script s;
  s.host.server = false;
  s.moving = [](double t) { return t <= 10; };
  s.inflight = [](double t) { return std::optional<uint64_t>(t < 10 ? 2 : 7); };
  s.host.vcpu_cpu = [](double t) { return std::min(t, 10.0); };
  s.run(d, 0, 60);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.reason(), "7 requests in flight unchanged for 3 s, every vCPU halted");
  EXPECT_NEAR(*d.findings()[0].onset_s, 10, 1e-9);
  EXPECT_NEAR(*d.findings()[0].detected_s, 13, 1e-9);
}

// A command workload has no progress line: swap moved until 65 s, and the kernel's nbd
// stuck-request message came at 95.7 s. The onset is when swap stopped, not when it was seen.
TEST(Detector, CommandWorkloadOnsetIsWhenSwapStopped) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 30, .deadlock_confirm_s = 0});
  d.arm(0, /*track_progress=*/false);
  Script s;
  s.host.server = false;
  s.moving = [](double) { return false; };
  s.swap_pages = [](double t) { return uint64_t(std::min(t, 65.0) * 100); };
  s.run(d, 0, 95.5);
  EXPECT_FALSE(d.done());
  d.on_console_event(event(console::EventKind::kNbdStuckRequest, "nbd: stuck on nbd0"), 95.7);
  ASSERT_TRUE(d.done());
  EXPECT_NEAR(*d.findings()[0].onset_s, 65, 1e-9);
  EXPECT_NEAR(*d.findings()[0].detected_s, 95.7, 1e-9);
}

// The fast path for a command workload: its swap stops at 30 s with 12 requests stuck.
TEST(Detector, CommandWorkloadDeadlockIsConfirmedFromSwapCounters) {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 30, .deadlock_confirm_s = 3});
  d.arm(0, /*track_progress=*/false);
  d.on_fault(true, 29);
  Script s;
  s.moving = [](double) { return false; };
  s.swap_pages = [](double t) { return uint64_t(std::min(t, 30.0) * 100); };
  s.inflight = [](double t) { return std::optional<uint64_t>(t < 30 ? 1 : 12); };
  s.host.vcpu_cpu = [](double t) { return std::min(t, 30.0); };
  s.host.server_in =
      s.host.server_out = [](double t) { return uint64_t(std::min(t, 30.0) * 1000); };
  s.run(d, 0, 60);
  ASSERT_FALSE(d.findings().empty());
  EXPECT_EQ(d.findings()[0].title, "storage server answered none of 12 requests for 3 s");
  EXPECT_NEAR(*d.findings()[0].onset_s, 30, 1e-9);
  EXPECT_LE(*d.findings()[0].detected_s, 35);
}

}  // namespace
}  // namespace wedge::detect
