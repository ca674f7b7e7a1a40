// Unit tests for the fault schedule, driven by scripted times and guest numbers.
#include <gtest/gtest.h>

#include "harness/faults/schedule.h"

namespace wedge::faults {
namespace {

using Indices = std::vector<size_t>;

config::FaultConfig at(double at_s, std::string kind, double duration_s) {
  config::FaultConfig f;
  f.kind = *config::parse_fault_kind(kind);
  f.at_s = at_s;
  f.duration_s = duration_s;
  return f;
}

config::FaultConfig when(std::string expression, std::string kind, double duration_s) {
  config::FaultConfig f;
  f.kind = *config::parse_fault_kind(kind);
  f.when = std::move(expression);
  f.duration_s = duration_s;
  return f;
}

Schedule make(const std::vector<config::FaultConfig>& faults) {
  auto s = Schedule::create(faults);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return std::move(*s);
}

TEST(FaultSchedule, AtTimeFaultStartsOnceAndStopsAfterItsDuration) {
  Schedule s = make({at(20, "server-stall", 30)});
  EXPECT_TRUE(s.step(0, {}).empty());
  EXPECT_TRUE(s.step(19.9, {}).empty());
  ScheduleStep started = s.step(20.4, {});
  EXPECT_EQ(started.start, Indices{0});
  EXPECT_TRUE(started.stop.empty());
  EXPECT_EQ(s.phase(0), FaultPhase::kActive);
  EXPECT_EQ(s.started_at(0), 20.4);
  EXPECT_TRUE(s.step(21, {}).empty());    // fires once
  EXPECT_TRUE(s.step(50.3, {}).empty());  // 29.9 s after it started
  EXPECT_EQ(s.step(50.4, {}).stop, Indices{0});
  EXPECT_EQ(s.phase(0), FaultPhase::kDone);
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(s.step(100, {}).empty());
  EXPECT_TRUE(s.stop_remaining().empty());
}

TEST(FaultSchedule, LateFirstStepStartsEverythingDue) {
  Schedule s = make({at(5, "delay", 10), at(1, "blackhole", 2), at(60, "reset", 0)});
  ScheduleStep step = s.step(30, {});
  EXPECT_EQ(step.start, (Indices{0, 1}));
  EXPECT_TRUE(step.stop.empty());
  // Durations count from the step that started the fault, not from at_s.
  EXPECT_TRUE(s.step(31.9, {}).empty());
  step = s.step(32, {});
  EXPECT_EQ(step.stop, Indices{1});
  EXPECT_TRUE(step.start.empty());
  EXPECT_EQ(s.step(40, {}).stop, Indices{0});
  EXPECT_FALSE(s.finished());
}

TEST(FaultSchedule, WhenFaultStartsTheFirstTimeItsExpressionHolds) {
  Schedule s = make({when("swap_used_mib > 100", "server-stall", 5)});
  EXPECT_TRUE(s.step(1, {}).empty());  // no sample yet
  EXPECT_TRUE(s.step(2, {.swap_used_mib = 50}).empty());
  EXPECT_TRUE(s.step(3, {.swap_used_mib = 100}).empty());
  EXPECT_EQ(s.step(4, {.swap_used_mib = 101}).start, Indices{0});
  EXPECT_TRUE(s.step(5, {.swap_used_mib = 200}).empty());  // fires once
  EXPECT_TRUE(s.step(8.9, {}).empty());
  EXPECT_EQ(s.step(9, {}).stop, Indices{0});
  EXPECT_TRUE(s.step(20, {.swap_used_mib = 300}).empty());
}

TEST(FaultSchedule, ElapsedComesFromNow) {
  Schedule s = make({when("elapsed_s >= 10 and pswpout > 0", "delay", 1)});
  // The run's own elapsed_s is overridden by now_s.
  EXPECT_TRUE(s.step(9, {.elapsed_s = 50, .pswpout = 1}).empty());
  EXPECT_TRUE(s.step(10, {.pswpout = 0}).empty());
  EXPECT_EQ(s.step(11, {.pswpout = 3}).start, Indices{0});
}

TEST(FaultSchedule, InstantAndEndlessFaults) {
  config::FaultConfig restart = at(10, "server-restart", 0);
  restart.set_param("restart_after_s", 4);
  Schedule s = make({at(1, "reset", 0), at(2, "server-crash", 0), at(3, "blackhole", 0), restart,
                     at(3, "balloon", 0)});
  EXPECT_EQ(s.step(1, {}).start, Indices{0});
  EXPECT_EQ(s.phase(0), FaultPhase::kDone);  // an instant: never stopped
  EXPECT_EQ(s.step(2, {}).start, Indices{1});
  EXPECT_EQ(s.phase(1), FaultPhase::kDone);  // crash: the server stays down
  EXPECT_EQ(s.step(3, {}).start, (Indices{2, 4}));
  EXPECT_EQ(s.step(10, {}).start, Indices{3});
  EXPECT_TRUE(s.step(13.9, {}).empty());
  EXPECT_EQ(s.step(14, {}).stop, Indices{3});  // restart after restart_after_s
  EXPECT_TRUE(s.step(1000, {}).empty());       // duration 0: until the end
  EXPECT_FALSE(s.finished());
  EXPECT_EQ(s.stop_remaining(), (Indices{4, 2}));  // latest started first
  EXPECT_TRUE(s.finished());
  EXPECT_TRUE(s.step(2000, {}).empty());
}

TEST(FaultSchedule, StopRemainingCutsShortActiveFaultsAndSkipsPendingOnes) {
  Schedule s = make({at(1, "delay", 100), at(500, "delay", 1)});
  EXPECT_EQ(s.step(1, {}).start, Indices{0});
  EXPECT_EQ(s.stop_remaining(), Indices{0});
  EXPECT_EQ(s.phase(1), FaultPhase::kDone);
  EXPECT_FALSE(s.started_at(1).has_value());
}

TEST(FaultSchedule, StopsComeBeforeStartsInOneStep) {
  Schedule s = make({at(0, "delay", 5), at(5, "delay", 5)});
  EXPECT_EQ(s.step(0, {}).start, Indices{0});
  ScheduleStep step = s.step(5, {});
  EXPECT_EQ(step.stop, Indices{0});
  EXPECT_EQ(step.start, Indices{1});
}

TEST(FaultSchedule, BadExpressionIsAnError) {
  auto s = Schedule::create({when("swap_used > 1", "delay", 1)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message().rfind("fault 0 (delay) when = \"swap_used > 1\": column 1:", 0), 0u)
      << s.error().message();
  config::FaultConfig neither;
  neither.kind = config::FaultKind::kDelay;
  auto none = Schedule::create({neither});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(), "fault 0 (delay) has neither at_s nor when");
}

}  // namespace
}  // namespace wedge::faults
