// Unit tests of fault kind "server-slow-after": its keys (defaults, ranges, to_toml round trip,
// faults.jsonl), its injector on a real loopback relay, and the relay's answer counting and
// delaying as pure functions (no guest, no clock).
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/faults/fault_log.h"
#include "harness/faults/injectors.h"
#include "harness/storage/relay.h"

namespace wedge {
namespace {

using std::chrono::milliseconds;

std::string with_fault(std::string_view keys) {
  return fmt::format("[[fault]]\nkind = \"server-slow-after\"\nat_s = 5\nduration_s = 30\n{}",
                     keys);
}

TEST(ServerSlowAfter, DefaultsApplyWhenKeysAreLeftOut) {
  auto s = config::parse_scenario(with_fault(""), "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->faults.size(), 1u);
  const config::FaultConfig& f = s->faults[0];
  EXPECT_EQ(f.kind, config::FaultKind::kServerSlowAfter);
  EXPECT_EQ(f.int_param("delay_ms"), 200);
  EXPECT_EQ(f.int_param("after_requests"), 1000);
  EXPECT_EQ(f.via, "");
  EXPECT_EQ(config::need_of(f.kind, f.via), config::FaultNeed::kRelay);
}

TEST(ServerSlowAfter, GivenKeysAreRead) {
  auto s = config::parse_scenario(with_fault("delay_ms = 50\nafter_requests = 0\n"), "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->faults[0].int_param("delay_ms"), 50);
  EXPECT_EQ(s->faults[0].int_param("after_requests"), 0);
}

TEST(ServerSlowAfter, RangesTypesAndOtherKindsKeysAreErrorsWithTheirLine) {
  auto error_of = [](std::string_view keys) {
    auto s = config::parse_scenario(with_fault(keys), "t.toml");
    return s.ok() ? std::string("(loaded)") : s.error().message();
  };
  EXPECT_EQ(error_of("delay_ms = 0\n"),
            "t.toml:5: [[fault]] delay_ms = 0: must be between 1 and 600000");
  EXPECT_EQ(error_of("after_requests = -1\n"),
            "t.toml:5: [[fault]] after_requests = -1: must be between 0 and 1000000000");
  EXPECT_EQ(error_of("after_requests = 1.5\n"),
            "t.toml:5: [[fault]] after_requests must be an integer");
  EXPECT_EQ(error_of("rate_kib_s = 5\n"),
            "t.toml:5: [[fault]] kind = \"server-slow-after\" takes no rate_kib_s (it takes "
            "delay_ms, after_requests)");
  EXPECT_EQ(error_of("via = \"relay\"\n"),
            "t.toml:5: [[fault]] kind = \"server-slow-after\" takes no via (it has one route)");
  auto no_duration =
      config::parse_scenario("[[fault]]\nkind = \"server-slow-after\"\nat_s = 5\n", "t.toml");
  ASSERT_FALSE(no_duration.ok());
  EXPECT_EQ(no_duration.error().message(),
            "t.toml:1: [[fault]] kind = \"server-slow-after\" needs duration_s (0: until the end "
            "of the run)");
}

TEST(ServerSlowAfter, RoundTripsThroughToTomlAndLogsItsKeys) {
  auto s = config::parse_scenario(with_fault("after_requests = 7\n"), "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  const std::string text = config::to_toml(*s);
  EXPECT_NE(text.find("after_requests = 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("delay_ms = 200\n"), std::string::npos) << text;
  auto again = config::parse_scenario(text, "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
  ASSERT_EQ(again->faults.size(), 1u);
  EXPECT_EQ(again->faults[0].kind, config::FaultKind::kServerSlowAfter);
  EXPECT_EQ(again->faults[0].int_param("after_requests"), 7);
  EXPECT_EQ(again->faults[0].int_param("delay_ms"), 200);
  EXPECT_EQ(faults::fault_params_json(s->faults[0]),
            "{\"at_s\":5.0,\"duration_s\":30.0,\"delay_ms\":200,\"after_requests\":7}");
}

TEST(ServerSlowAfter, AnswersAreCountedByTurnsOfTheConversation) {
  storage::AnswerTurns turns;
  EXPECT_FALSE(turns.server_sent());  // a greeting before any request is no answer
  turns.client_sent();
  turns.client_sent();                // a request in two pieces
  EXPECT_TRUE(turns.server_sent());   // the answer begins
  EXPECT_FALSE(turns.server_sent());  // ... and goes on
  turns.client_sent();
  EXPECT_TRUE(turns.server_sent());
}

TEST(ServerSlowAfter, OnlyAnswersFromTheNthOnAreHeld) {
  storage::RelayFaults f;
  EXPECT_EQ(storage::answer_delay(f, 5000), milliseconds(0));  // fault off
  f.slow_answer_delay = milliseconds(200);
  f.slow_after_answers = 1000;
  EXPECT_EQ(storage::answer_delay(f, 0), milliseconds(0));
  EXPECT_EQ(storage::answer_delay(f, 999), milliseconds(0));
  EXPECT_EQ(storage::answer_delay(f, 1000), milliseconds(200));
  EXPECT_EQ(storage::answer_delay(f, 123456), milliseconds(200));
  f.slow_after_answers = 0;
  EXPECT_EQ(storage::answer_delay(f, 0), milliseconds(200));
}

// A storage::Server with only a relay, for the injector.
class RelayOnlyServer final : public storage::Server {
 public:
  explicit RelayOnlyServer(storage::TcpRelay* relay) : relay_(relay) {}
  int guest_port() const override { return 0; }
  bool healthy() override { return true; }
  storage::ServerStats stats() const override { return {}; }
  std::string describe() const override { return "relay only"; }
  Status stop() override { return ok_status(); }
  Status signal(int) override { return ok_status(); }
  Status kill() override { return ok_status(); }
  Status restart(milliseconds) override { return ok_status(); }
  storage::TcpRelay& relay() override { return *relay_; }
  const storage::NbdkitControls* nbdkit_controls() const override { return nullptr; }
  std::filesystem::path log_path() const override { return {}; }

 private:
  storage::TcpRelay* relay_;
};

TEST(ServerSlowAfter, InjectorSetsAndClearsOnlyItsRelayFields) {
  auto relay = storage::TcpRelay::start(9);  // never connected to: only its faults are used
  ASSERT_TRUE(relay.ok()) << relay.error().message();
  relay.value()->set_faults({.delay = milliseconds(5)});  // another fault, kept throughout
  RelayOnlyServer server(relay.value().get());
  faults::InjectorTargets targets;
  targets.servers = {&server};
  auto s = config::parse_scenario(with_fault("delay_ms = 300\nafter_requests = 42\n"), "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto injector = faults::make_injector(s->faults[0], targets);
  ASSERT_TRUE(injector.ok()) << injector.error().message();
  EXPECT_EQ((*injector)->describe(), "server-slow-after");
  ASSERT_TRUE((*injector)->start().ok());
  storage::RelayFaults on = relay.value()->faults();
  EXPECT_EQ(on.slow_answer_delay, milliseconds(300));
  EXPECT_EQ(on.slow_after_answers, 42u);
  EXPECT_EQ(on.delay, milliseconds(5));
  ASSERT_TRUE((*injector)->stop().ok());
  storage::RelayFaults off = relay.value()->faults();
  EXPECT_EQ(off.slow_answer_delay, milliseconds(0));
  EXPECT_EQ(off.delay, milliseconds(5));
  relay.value()->stop();
}

TEST(ServerSlowAfter, WithoutARelayTheInjectorNamesWhatIsMissing) {
  auto s = config::parse_scenario(with_fault(""), "t.toml");
  ASSERT_TRUE(s.ok());
  auto injector = faults::make_injector(s->faults[0], {});
  ASSERT_FALSE(injector.ok());
  EXPECT_EQ(injector.error().message(), "server-slow-after: no relay to act on");
}

}  // namespace
}  // namespace wedge
