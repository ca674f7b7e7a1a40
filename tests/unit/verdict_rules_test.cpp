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

TEST(RootCause, AnRcuStallNamingTheSpinnerRetitlesTheTaskWaitingForRcu) {
  Analysis a = analyze_console_log(rcu_wait_then_stall_log());
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "CPU stuck in demo_spin_with_preemption_off");
  EXPECT_EQ(a.findings[0].signature, "hang|CPU stuck|demo_spin_with_preemption_off");
  EXPECT_EQ(a.findings[0].subkind, "livelock");
  // The kernel's stall report stays as the evidence.
  ASSERT_EQ(a.findings.size(), 2u);
  EXPECT_EQ(a.findings[1].title, "INFO: rcu detected stall in demo_spin_with_preemption_off");

  // Alone, the stall keeps the kernel's title.
  std::string stall_only =
      rcu_wait_then_stall_log().substr(rcu_wait_then_stall_log().find("[ 54.0]"));
  EXPECT_EQ(analyze_console_log(stall_only).reason,
            "INFO: rcu detected stall in demo_spin_with_preemption_off");
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

// Issue 19's failing run, on a 2-vCPU guest: a module's kthread spins with preemption off on
// CPU#0. The hung-task warning for a kworker in synchronize_rcu comes first (20.9 s) and the
// verdict is taken there; the RCU self-detected stall naming the spinning function in its RIP
// line follows at 25.5 s. Replayed through the clock-free detector.
std::string spinning_module_log() {
  return "[   20.912345] INFO: task kworker/1:2:87 blocked for more than 10 seconds.\n"
         "[   20.912811]       Tainted: G           O       6.1.0-56-cloud-amd64 #1 Debian\n"
         "[   20.913204] \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this "
         "message.\n"
         "[   20.913677] task:kworker/1:2     state:D stack:0     pid:87    ppid:2      "
         "flags:0x00004000\n"
         "[   20.914102] Workqueue: events wedge_spin_teardown [wedge_spin]\n"
         "[   20.914420] Call Trace:\n"
         "[   20.914561]  <TASK>\n"
         "[   20.914690]  __schedule+0x34d/0xa00\n"
         "[   20.914852]  schedule+0x5a/0xd0\n"
         "[   20.915001]  schedule_timeout+0x117/0x150\n"
         "[   20.915160]  __wait_for_common+0x90/0x1d0\n"
         "[   20.915318]  __wait_rcu_gp+0x123/0x130\n"
         "[   20.915470]  synchronize_rcu+0xd3/0xe0\n"
         "[   20.915620]  wedge_spin_teardown+0x1c/0x40 [wedge_spin]\n"
         "[   20.915810]  process_one_work+0x1c4/0x380\n"
         "[   20.915970]  worker_thread+0x4d/0x380\n"
         "[   20.916120]  kthread+0xd7/0x100\n"
         "[   20.916260]  ret_from_fork+0x1f/0x30\n"
         "[   20.916400]  </TASK>\n"
         "[   25.512003] rcu: INFO: rcu_sched self-detected stall on CPU\n"
         "[   25.512402] rcu: \t0-....: (21002 ticks this GP) idle=a4c/1/0x4000000000000000 "
         "softirq=2104/2104 fqs=5143\n"
         "[   25.512911] \t(t=21003 jiffies g=1789 q=120 ncpus=2)\n"
         "[   25.513210] NMI backtrace for cpu 0\n"
         "[   25.513402] CPU: 0 PID: 91 Comm: wedge_spin Tainted: G           O       "
         "6.1.0-56-cloud-amd64 #1  Debian 6.1.158-1\n"
         "[   25.513950] Call Trace:\n"
         "[   25.514090]  <IRQ>\n"
         "[   25.514220]  dump_stack_lvl+0x44/0x5c\n"
         "[   25.514380]  nmi_cpu_backtrace.cold+0x30/0x70\n"
         "[   25.514550]  nmi_trigger_cpumask_backtrace+0xd9/0xf0\n"
         "[   25.514730]  rcu_dump_cpu_stacks+0xf9/0x140\n"
         "[   25.514900]  rcu_sched_clock_irq.cold+0x1ac/0x45b\n"
         "[   25.515080]  update_process_times+0x8c/0xc0\n"
         "[   25.515250]  tick_sched_timer+0x85/0xa0\n"
         "[   25.515410]  __hrtimer_run_queues+0x112/0x2b0\n"
         "[   25.515580]  hrtimer_interrupt+0xfe/0x220\n"
         "[   25.515740]  __sysvec_apic_timer_interrupt+0x7f/0x170\n"
         "[   25.515920]  sysvec_apic_timer_interrupt+0x9d/0xd0\n"
         "[   25.516090]  </IRQ>\n"
         "[   25.516220]  <TASK>\n"
         "[   25.516350]  asm_sysvec_apic_timer_interrupt+0x16/0x20\n"
         "[   25.516530] RIP: 0010:wedge_spin_forever+0x12/0x30 [wedge_spin]\n"
         "[   25.516720] Code: 00 00 00 00 00 0f 1f 44 00 00 f3 90 eb fc\n"
         "[   25.516900] RSP: 0018:ffffb4a3c03b7ed8 EFLAGS: 00000246\n"
         "[   25.517080]  kthread+0xd7/0x100\n"
         "[   25.517220]  ret_from_fork+0x1f/0x30\n"
         "[   25.517360]  </TASK>\n";
}

// Feeds the log's events with their printk times to a detector armed at 5 s.
void replay(Detector& d, const std::string& log, double until_s) {
  d.arm(5);
  for (const auto& e : console::parse_events(log)) {
    double t = e.timestamp_s.value_or(0);
    if (t <= until_s) d.on_console_event(e, t);
  }
}

// Registers from the trace collection at 22 s: CPU#0 HLT=0 with RIP in the module in every
// sample, CPU#1 busy with the agent and the dumps.
std::vector<std::vector<VcpuSample>> spinning_registers() {
  return {{{0, false, "wedge_spin_forever"}, {1, false, "copy_page_to_iter"}},
          {{0, false, "wedge_spin_forever"}, {1, true, "default_idle"}},
          {{0, false, "wedge_spin_forever"}, {1, false, "sysrq_handle_showstate"}}};
}

TEST(SpinningCpu, TheRcuStallAfterTheVerdictRetitlesTheHang) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 100});
  replay(d, spinning_module_log(), 21);
  ASSERT_TRUE(d.done());
  EXPECT_EQ(d.reason(), "INFO: task hung in synchronize_rcu");     // as in the issue
  ASSERT_EQ(awaits_spinning_cpu_report(d.findings()), 20.912345);  // the run waits for it
  // Traces without the registers' word (no module symbols): a deadlock by the tasks.
  auto i = d.take_trace_request();
  ASSERT_TRUE(i.has_value());
  d.attach_traces(*i, 22, {"agent"}, {}, "deadlock", "");
  // The stall arrives while the run waits.
  for (const auto& e : console::parse_events(spinning_module_log())) {
    if (e.timestamp_s.value_or(0) > 21) d.on_console_event(e, *e.timestamp_s);
  }
  EXPECT_FALSE(awaits_spinning_cpu_report(d.findings()).has_value());
  EXPECT_EQ(d.verdict(), Verdict::kHang);
  EXPECT_EQ(d.reason(), "CPU stuck in wedge_spin_forever");
  EXPECT_EQ(d.findings()[*i].subkind, "livelock");
  EXPECT_EQ(d.findings()[*i].signature, "hang|CPU stuck|wedge_spin_forever");
}

TEST(SpinningCpu, TheRegistersAloneNameTheSpinningFunction) {
  Detector d({.stall_s = 100, .heartbeat_lost_s = 100});
  replay(d, spinning_module_log(), 21);  // the RCU stall never reached the run
  auto i = d.take_trace_request();
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(stuck_cpu_function(spinning_registers()), "");  // CPU#1 does not halt
  HangEvidence e;
  e.stuck_function = stuck_cpu_function(spinning_registers());
  e.busy_function = busy_cpu_function(spinning_registers());
  HangTitle t = hang_title_after_traces(d.findings()[*i], e);
  EXPECT_EQ(t.subkind, "livelock");
  d.attach_traces(*i, 22, {"agent", "registers"}, {}, t.subkind, t.title);
  EXPECT_EQ(d.reason(), "CPU stuck in wedge_spin_forever");
  EXPECT_EQ(d.findings()[*i].subkind, "livelock");
  EXPECT_FALSE(awaits_spinning_cpu_report(d.findings()).has_value());

  // A hang whose task does not wait for a CPU needs the others halted.
  reports::Finding io_wait = d.findings()[*i];
  io_wait.frames = {"folio_wait_writeback"};
  EXPECT_EQ(hang_title_after_traces(io_wait, e).title, "");
}

TEST(SpinningCpu, BothOrdersGiveOneSignature) {
  Analysis offline = analyze_console_log(spinning_module_log());
  Detector live({.stall_s = 100, .heartbeat_lost_s = 100});
  replay(live, spinning_module_log(), 30);
  EXPECT_EQ(live.reason(), "CPU stuck in wedge_spin_forever");
  EXPECT_EQ(offline.reason, live.reason());
  EXPECT_EQ(offline.findings[0].signature, "hang|CPU stuck|wedge_spin_forever");
}

}  // namespace
}  // namespace wedge::detect
