// The rules live runs and `wedge analyze` share: root cause over consequence, storage stalls
// as hangs, signatures that do not change with pids and addresses, and register-based livelock.
#include "harness/detect/verdict_rules.h"

#include <gtest/gtest.h>

#include "harness/console/parser.h"
#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"

namespace wedge::detect {
namespace {

using reports::Verdict;

// A hung task whose stack waits in synchronize_rcu, then (4 s later) the RCU stall that names
// the function a kernel thread spins in with preemption off.
std::string rcu_wait_then_stall_log() {
  return "[ 50.0] INFO: task kworker/u4:1:61 blocked for more than 10 seconds.\n"
         "[ 50.1] task:kworker/u4:1    state:D stack:0 pid:61 ppid:2 flags:0x00004000\n"
         "[ 50.2] Call Trace:\n"
         "[ 50.3]  __schedule+0x10/0x20\n"
         "[ 50.4]  schedule+0x10/0x20\n"
         "[ 50.5]  schedule_timeout+0x10/0x20\n"
         "[ 50.6]  __wait_rcu_gp+0x10/0x20\n"
         "[ 50.7]  synchronize_rcu+0x10/0x20\n"
         "[ 50.8]  demo_unregister+0x10/0x20\n"
         "[ 50.9] Showing all locks held in the system:\n"
         "[ 54.0] rcu: INFO: rcu_preempt self-detected stall on CPU\n"
         "[ 54.1] NMI backtrace for cpu 1\n"
         "[ 54.2] Call Trace:\n"
         "[ 54.3]  <IRQ>\n"
         "[ 54.4]  dump_stack_lvl+0x10/0x20\n"
         "[ 54.5]  rcu_dump_cpu_stacks+0x10/0x20\n"
         "[ 54.6]  </IRQ>\n"
         "[ 54.7] RIP: 0010:demo_spin_with_preemption_off+0x10/0x20\n"
         "[ 54.8]  kthread+0x10/0x20\n"
         "[ 54.9]  ret_from_fork+0x10/0x20\n"
         "[ 55.0] done\n";
}

TEST(RootCause, AnRcuStallNamingTheSpinnerBeatsTheTaskWaitingForRcu) {
  Analysis a = analyze_console_log(rcu_wait_then_stall_log());
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "INFO: rcu detected stall in demo_spin_with_preemption_off");
  EXPECT_EQ(a.findings[0].signature, "hang|INFO: rcu detected stall|demo_spin_with_preemption_off");
}

TEST(RootCause, LiveDetectorAgreesWithAnalyze) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 100});
  for (const auto& e : console::parse_events(rcu_wait_then_stall_log())) {
    d.on_console_event(e, e.timestamp_s.value_or(0));
  }
  EXPECT_EQ(d.reason(), analyze_console_log(rcu_wait_then_stall_log()).reason);
}

TEST(RootCause, APanicCausedByAHangKeepsTheHang) {
  std::string log =
      "[ 10.0] INFO: task demo:5 blocked for more than 120 seconds.\n"
      "[ 10.1] Call Trace:\n"
      "[ 10.2]  __schedule+0x10/0x20\n"
      "[ 10.3]  demo_read_device+0x10/0x20\n"
      "[ 10.4] Kernel panic - not syncing: hung_task: blocked tasks\n";
  Analysis a = analyze_console_log(log);
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "INFO: task hung in demo_read_device");
  ASSERT_EQ(a.findings.size(), 2u);
  EXPECT_EQ(a.findings[1].title, "kernel panic: hung_task: blocked tasks");
}

TEST(RootCause, TheFirstReportWinsOverALaterOne) {
  std::string log =
      "[ 1.0] WARNING: CPU: 0 PID: 1 at fs/demo.c:10 demo_check+0x1/0x2\n"
      "[ 1.1] Call Trace:\n"
      "[ 1.2]  demo_write+0x1/0x2\n"
      "[ 1.3] end\n"
      "[ 9.0] INFO: task demo:7 blocked for more than 120 seconds.\n"
      "[ 9.1] Call Trace:\n"
      "[ 9.2]  demo_wait+0x1/0x2\n";
  Analysis a = analyze_console_log(log);
  EXPECT_EQ(a.verdict, Verdict::kCrash);
  EXPECT_EQ(a.reason, "WARNING in demo_check");
}

TEST(StorageStalls, NfsServerNotRespondingIsAHangNamedAfterTheServer) {
  Analysis a = analyze_console_log("[ 70.0] nfs: server 10.0.2.2 not responding, still trying\n");
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "nfs: server 10.0.2.2 not responding");
  EXPECT_EQ(a.findings[0].signature, "hang|nfs: server N.N.N.N not responding");

  Detector d({.stall_s = 100, .heartbeat_lost_s = 100});
  d.arm(0);
  for (const auto& e : console::parse_events(" connection1:0: detected conn error (1022)\n")) {
    d.on_console_event(e, 5);
  }
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "iscsi: detected conn error on connection1:0");
}

TEST(Signature, SameBugSameSignatureWhateverThePidsAndAddresses) {
  auto signature = [](int pid, const char* address) {
    std::string log = fmt::format(
        "[ 5.0] BUG: KASAN: use-after-free in demo_put+0x{}/0x90\n"
        "[ 5.1] Read of size 8 at addr {} by task demo/{}\n"
        "[ 5.2] Call Trace:\n"
        "[ 5.3]  demo_put+0x{}/0x90\n",
        address + 14, address, pid, address + 14);
    return analyze_console_log(log).findings.at(0).signature;
  };
  EXPECT_EQ(signature(17, "ffff888012345678"), "crash|KASAN: use-after-free Read|demo_put");
  EXPECT_EQ(signature(17, "ffff888012345678"), signature(4242, "ffff8880abcdef01"));
}

TEST(RegisterLivelock, OneVcpuInTheSameFunctionEverySampleWhileOthersHalt) {
  std::vector<std::vector<VcpuSample>> samples(
      3, {{0, true, "default_idle"}, {1, false, "demo_spin_with_preemption_off"}});
  EXPECT_EQ(stuck_cpu_function(samples), "demo_spin_with_preemption_off");
  EXPECT_EQ(hang_title_from_traces({}, stuck_cpu_function(samples)),
            "CPU stuck in demo_spin_with_preemption_off");

  samples[1][1].function = "other_function";  // moving around: not stuck in one place
  EXPECT_EQ(stuck_cpu_function(samples), "");
  samples[1][1] = {1, true, "default_idle"};  // halted once: not running every sample
  EXPECT_EQ(stuck_cpu_function(samples), "");
  std::vector<std::vector<VcpuSample>> both_busy(
      2, {{0, false, "demo_spin"}, {1, false, "demo_spin"}});
  EXPECT_EQ(stuck_cpu_function(both_busy), "");  // the others must halt
}

TEST(RegisterLivelock, RetitledHangCarriesTheFunctionInItsSignature) {
  Detector d({.stall_s = 10, .heartbeat_lost_s = 60});
  d.arm(0);
  d.tick(11);
  auto i = d.take_trace_request();
  ASSERT_TRUE(i.has_value());
  d.attach_traces(*i, 12, {"registers"}, {}, "livelock", "CPU stuck in demo_spin");
  const auto& f = d.findings()[*i];
  EXPECT_EQ(f.title, "CPU stuck in demo_spin");
  EXPECT_EQ(f.subkind, "livelock");
  EXPECT_EQ(f.signature, "hang|CPU stuck|demo_spin");
}

}  // namespace
}  // namespace wedge::detect
