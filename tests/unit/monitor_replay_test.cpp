// Replays recorded guest streams through the real chain (FakeVm -> GuestSession -> decoders ->
// Monitor -> Detector) with their timing: the recorded console of a host NBD server stopped
// mid-swap, plus agent heartbeats and hog progress that stop when the guest froze.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness/run/monitor.h"
#include "harness/util/files.h"
#include "harness/workload_kinds/workload_registry.h"
#include "tests/unit/fake_vm.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;
using testing::FakeVm;

// The log body of a tests/testdata/console case file, split into lines with printk times.
std::vector<std::pair<double, std::string>> timed_console(const std::string& name) {
  auto text = read_file(fs::path(WEDGE_TESTDATA_DIR) / "console" / name);
  EXPECT_TRUE(text.ok());
  std::string_view body = *text;
  body.remove_prefix(body.find("# ---\n") + 6);
  std::vector<std::pair<double, std::string>> out;
  double t = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string line(body.substr(0, nl == std::string_view::npos ? body.size() : nl + 1));
    body.remove_prefix(line.size());
    if (line.size() > 14 && line[0] == '[') t = std::strtod(line.c_str() + 1, nullptr);
    out.emplace_back(t, line);
  }
  return out;
}

struct Replay {
  double now = 0;
  FakeVm vm{&now};
  detect::Detector detector;
  Monitor monitor{&detector, &workloads::workload_entry(config::WorkloadKind::kSwapHog)};
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<GuestSession> session;

  explicit Replay(detect::DetectorConfig config) : detector(config) {
    dir = std::make_unique<TempDir>(std::move(*TempDir::create("wedge-replay")));
    session = std::make_unique<GuestSession>(
        vm, dir->path(), [this] { return now; },
        [this](const Pumped& p) { monitor.absorb(p, now); });
  }
  // Steps the clock to `until` in 100 ms ticks, pumping and ticking like the run loop.
  void run_until(double until) {
    for (; now <= until && !detector.done(); now += 0.1) {
      (void)session->pump();
      detector.tick(now);
    }
  }
};

agent::Sample sample(double t, uint64_t pswpout) {
  agent::Sample s;
  s.uptime_ms = static_cast<uint64_t>(t * 1000);
  s.meminfo = "MemTotal: 223632 kB\nMemFree: 4000 kB\nSwapTotal: 1048572 kB\nSwapFree: 900000 kB\n";
  s.vmstat = "pswpin 10\npswpout " + std::to_string(pswpout) + "\n";
  return s;
}

// The guest froze at 21 s when the host server was stopped: the agent (mlocked) keeps beating,
// but swap traffic and hog progress stop. The hang is found at stall_s, before the kernel's
// own hung-task warning (31.8 s in this recording).
TEST(MonitorReplay, HostServerStoppedMidSwapIsAHangFoundByStalledProgress) {
  Replay r({.stall_s = 8, .heartbeat_lost_s = 10});
  for (auto& [t, line] : timed_console("host-nbd-server-stopped-hung-task-sysrq-w.log")) {
    r.vm.console_at(t, line);
  }
  for (int t = 5; t <= 60; ++t) {
    r.vm.agent_at(t, agent::Heartbeat{static_cast<uint64_t>(t), static_cast<uint64_t>(t) * 1000});
    if (t <= 21) {
      r.vm.agent_at(t, sample(t, 1000 * t));
      agent::Output progress{1, 1, fmt::format("progress {} 900\n", 16 * t)};
      r.vm.agent_at(t, progress);
    } else {
      r.vm.agent_at(t, sample(t, 21000));  // swap counters frozen
    }
  }
  r.run_until(4.9);
  auto job = r.session->start_job("workload", {"/init", "hog"});
  ASSERT_TRUE(job.ok());
  r.detector.arm(r.now);
  r.run_until(60);
  ASSERT_TRUE(r.detector.done());
  EXPECT_EQ(r.detector.verdict(), reports::Verdict::kHang);
  const auto& f = r.detector.findings().front();
  EXPECT_EQ(f.title, "no workload progress for 8 s");
  EXPECT_NEAR(*f.onset_s, 21, 0.2);
  EXPECT_NEAR(*f.detected_s, 29, 0.2);
  EXPECT_LT(*f.detected_s, 31.8) << "must beat the kernel's own hung-task warning";
  EXPECT_EQ(r.monitor.numbers().guest.workload_progress_mib, 16u * 21);
  EXPECT_EQ(r.monitor.numbers().guest.pswpout, 21000u);
}

// The same recording with a detector that trusts only the kernel: the hung-task message at
// 31.8 s ends the run with the blamed frame in the title.
TEST(MonitorReplay, HungTaskMessageInRecordedConsoleNamesTheBlamedFrame) {
  Replay r({.stall_s = 1000, .heartbeat_lost_s = 1000});
  for (auto& [t, line] : timed_console("host-nbd-server-stopped-hung-task-sysrq-w.log")) {
    r.vm.console_at(t, line);
  }
  r.detector.arm(0);
  r.run_until(60);
  ASSERT_TRUE(r.detector.done());
  EXPECT_EQ(r.detector.reason(), "INFO: task hung in shmem_swapin_folio");
  EXPECT_NEAR(*r.detector.findings().front().detected_s, 31.8, 0.2);
}

// Heartbeats that stop entirely (the agent itself is stuck) are a hang after heartbeat_lost_s.
TEST(MonitorReplay, SilentAgentIsAHang) {
  Replay r({.stall_s = 1000, .heartbeat_lost_s = 6});
  for (int t = 1; t <= 10; ++t) {
    r.vm.agent_at(t, agent::Heartbeat{static_cast<uint64_t>(t), static_cast<uint64_t>(t) * 1000});
  }
  r.detector.arm(0, /*track_progress=*/false);
  r.run_until(60);
  ASSERT_TRUE(r.detector.done());
  EXPECT_EQ(r.detector.reason(), "agent heartbeat lost for 6 s");
  EXPECT_NEAR(*r.detector.findings().front().detected_s, 16, 0.2);
}

// The loaded-host recipe, replayed: a module's kthread blocks on its own mutex, the
// agent's samples stop 13 s in while its heartbeats go on (the run once ended "timeout" at
// duration_s with 140 s of no samples). The lost samples are a hang, long before duration_s.
TEST(MonitorReplay, SamplesThatStopAreAHangNotATimeout) {
  Replay r({.stall_s = 20, .heartbeat_lost_s = 20});
  r.vm.console_at(9, "[    9.120000] wedge_crash: loaded\n");
  for (int t = 1; t <= 150; ++t) {
    r.vm.agent_at(t, agent::Heartbeat{static_cast<uint64_t>(t), static_cast<uint64_t>(t) * 1000});
    if (t <= 13) r.vm.agent_at(t, sample(t, 0));
  }
  r.detector.arm(0, /*track_progress=*/false);
  r.run_until(150);
  if (!r.detector.done()) r.detector.on_deadline(r.now);
  EXPECT_EQ(r.detector.verdict(), reports::Verdict::kHang);
  EXPECT_EQ(r.detector.reason(), "agent samples lost for 20 s while its heartbeats still came");
  EXPECT_NEAR(*r.detector.findings().front().onset_s, 13, 0.2);
  EXPECT_NEAR(*r.detector.findings().front().detected_s, 33, 0.2);
}

}  // namespace
}  // namespace wedge::run
