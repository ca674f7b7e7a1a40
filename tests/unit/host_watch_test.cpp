// Tests of HostWatch's decisions: which host-side events are infra errors (with which reason),
// which are the guest's own doing, and which are only recorded (libvirt restarting).
#include "harness/run/host_watch.h"

#include <gtest/gtest.h>

namespace wedge::run {
namespace {

using vm::DomainState;
using vm::DomainStatus;

DomainStatus status(DomainState state, std::string reason = "", std::string detail = "") {
  DomainStatus s;
  s.state = state;
  s.reason = std::move(reason);
  s.detail = std::move(detail);
  return s;
}

HostSnapshot running() {
  HostSnapshot s;
  s.domain = status(DomainState::kRunning);
  s.qemu_pid = 4242;
  s.qemu_state = 'S';
  return s;
}

TEST(HostWatch, QuietHostIsNoVerdict) {
  HostWatch w;
  for (double t = 0; t < 60; t += 0.1) EXPECT_EQ(w.observe(running(), t).kind, HostVerdict::kNone);
  EXPECT_TRUE(w.take_events().empty());
}

TEST(HostWatch, QemuKilledIsInfraWithLibvirtsReason) {
  HostWatch w;
  HostSnapshot s = running();
  s.domain = status(DomainState::kShutoff, "crashed");
  s.channel_lost = "agent channel closed";
  HostVerdict v = w.observe(s, 10);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason,
            "QEMU ended without the guest shutting down: killed from outside (the OOM killer, an "
            "admin) or crashed (libvirt: shutoff (crashed))");
}

TEST(HostWatch, QemuToldToStopByASignalIsInfraButAGuestPowerOffIsTheGuests) {
  HostWatch w;
  HostSnapshot s = running();
  s.domain = status(DomainState::kShutoff, "shutdown",
                    "qemu-system-x86_64: terminating on signal 15 from pid 123 (bash)");
  HostVerdict v = w.observe(s, 1);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_NE(v.reason.find("QEMU was told to stop from outside"), std::string::npos) << v.reason;
  EXPECT_NE(v.reason.find("terminating on signal 15 from pid 123 (bash)"), std::string::npos);

  s.domain = status(DomainState::kShutoff, "shutdown");
  v = HostWatch().observe(s, 1);
  EXPECT_EQ(v.kind, HostVerdict::kGuestStopped);
  EXPECT_EQ(v.reason, "the guest powered itself off or reset (libvirt: shutoff (shutdown))");
}

TEST(HostWatch, DestroyedFromOutsideIsInfra) {
  HostSnapshot s = running();
  s.domain = status(DomainState::kShutoff, "destroyed");
  HostVerdict v = HostWatch().observe(s, 1);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason, "the guest was destroyed from outside wedge (libvirt: shutoff (destroyed))");
}

TEST(HostWatch, IoErrorPauseIsInfraAtOnceOtherPausesAfterGraceDumpNever) {
  HostSnapshot s = running();
  s.domain = status(DomainState::kPaused, "ioerror");
  HostVerdict v = HostWatch().observe(s, 1);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_NE(v.reason.find("after an I/O error on a host-side disk"), std::string::npos);

  HostWatch w;
  s.domain = status(DomainState::kPaused, "user");
  EXPECT_EQ(w.observe(s, 10).kind, HostVerdict::kNone);
  EXPECT_EQ(w.observe(s, 12.9).kind, HostVerdict::kNone);
  v = w.observe(s, 13);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason, "the guest was paused from outside for 3 s (libvirt: paused (user))");

  HostWatch dumping;
  s.domain = status(DomainState::kPaused, "dump");
  for (double t = 0; t < 30; t += 1) EXPECT_EQ(dumping.observe(s, t).kind, HostVerdict::kNone);
}

TEST(HostWatch, StoppedQemuIsInfraAfterGrace) {
  HostWatch w;
  HostSnapshot s = running();
  s.qemu_state = 'T';
  EXPECT_EQ(w.observe(s, 5).kind, HostVerdict::kNone);
  HostVerdict v = w.observe(s, 8);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason, "QEMU (pid 4242) was stopped from outside (process state T) for 3 s");
  // Stopped, then running again before the grace ended: nothing.
  HostWatch brief;
  EXPECT_EQ(brief.observe(s, 5).kind, HostVerdict::kNone);
  EXPECT_EQ(brief.observe(running(), 6).kind, HostVerdict::kNone);
  EXPECT_EQ(brief.observe(s, 7).kind, HostVerdict::kNone);
}

TEST(HostWatch, LostChannelWithARunningGuestIsInfraOnlyAfterTheConsoleHadItsChance) {
  HostWatch w;
  HostSnapshot s = running();
  s.channel_lost = "agent channel closed";
  EXPECT_EQ(w.observe(s, 20).kind, HostVerdict::kNone);
  EXPECT_EQ(w.observe(s, 24.9).kind, HostVerdict::kNone);
  HostVerdict v = w.observe(s, 25);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason,
            "the agent channel closed (agent channel closed) while the guest kept running, and the "
            "console shows no kernel failure within 5 s");
}

TEST(HostWatch, LibvirtRestartIsRecordedNotAFailure) {
  HostWatch w;
  HostSnapshot down = running();
  down.domain = status(DomainState::kUnknown, "libvirt unreachable at qemu:///system: EOF");
  EXPECT_EQ(w.observe(running(), 1).kind, HostVerdict::kNone);
  for (double t = 2; t < 60; t += 0.5) EXPECT_EQ(w.observe(down, t).kind, HostVerdict::kNone);
  EXPECT_EQ(w.observe(running(), 62).kind, HostVerdict::kNone);
  auto events = w.take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0],
            "2.0 s: libvirt unreachable at qemu:///system: EOF; the run goes on without it");
  EXPECT_EQ(events[1], "62.0 s: libvirt reachable again after 60.0 s; the guest is running");
  EXPECT_TRUE(w.libvirt_was_lost());
}

TEST(HostWatch, RestartThatTookTheGuestWithItIsInfra) {
  HostWatch w;
  HostSnapshot down = running();
  down.domain = status(DomainState::kUnknown, "libvirt unreachable");
  down.channel_lost = "agent channel closed";
  EXPECT_EQ(w.observe(down, 1).kind, HostVerdict::kNone);
  HostVerdict v = w.observe(down, 6);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_NE(v.reason.find("while libvirt was unreachable"), std::string::npos) << v.reason;

  HostWatch back;
  HostSnapshot gone = running();
  gone.domain = status(DomainState::kShutoff, "destroyed");
  gone.domain->gone = true;
  EXPECT_EQ(back.observe(down, 1).kind, HostVerdict::kNone);
  v = back.observe(gone, 3);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_NE(v.reason.find("destroyed from outside wedge"), std::string::npos) << v.reason;
}

TEST(HostWatch, ServerAndDiskProblems) {
  HostWatch w;
  HostSnapshot s = running();
  s.server_problem = "the storage server nbd-server stopped serving";
  EXPECT_EQ(w.observe(s, 1).kind, HostVerdict::kNone);
  HostVerdict v = w.observe(s, 4);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason, "the storage server nbd-server stopped serving");

  HostSnapshot full = running();
  full.disk_problem = "write /r/workload.log: No space left on device";
  v = HostWatch().observe(full, 1);
  EXPECT_EQ(v.kind, HostVerdict::kInfra);
  EXPECT_EQ(v.reason,
            "the run directory cannot be written: write /r/workload.log: No space left on device");
}

TEST(HostWatch, GuestPanicReportedByLibvirtIsTheGuests) {
  HostSnapshot s = running();
  s.domain = status(DomainState::kCrashed, "guest panicked");
  EXPECT_EQ(HostWatch().observe(s, 1).kind, HostVerdict::kGuestStopped);
}

}  // namespace
}  // namespace wedge::run
