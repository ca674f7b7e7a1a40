// GuestSession's agent requests against a scripted FakeVm: each one is answered when the
// agent's reply names it, and replies to requests nobody sent are ignored.
#include "harness/run/guest_session.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "tests/unit/fake_vm.h"

namespace wedge::run {
namespace {

using namespace std::chrono_literals;
using testing::FakeVm;

struct Session {
  double now = 0;
  FakeVm vm{&now};
  TempDir dir = std::move(*TempDir::create("wedge-session"));
  GuestSession session{vm, dir.path(), [this] { return now; }, [](const Pumped&) {}};
};

// The agent's "done" for a watch request ends the wait at once. Watch requests were once not
// registered as outstanding, so their answer was dropped and every run with watched paths
// waited the full timeout and sampled no cgroup or device counters.
TEST(GuestSession, WatchIsAnsweredByTheAgentsDone) {
  Session s;
  for (uint64_t id = 1; id <= 4; ++id) s.vm.agent_at(0, agent::Done{.request = id, .job = 0});
  auto t0 = std::chrono::steady_clock::now();
  Status st = s.session.watch_guest_files({"/sys/block/nbd0/inflight"}, 2000ms);
  EXPECT_TRUE(st.ok()) << st.error().message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_EQ(s.vm.sent.size(), 1u);
}

// No answer: the wait ends at the timeout with an error naming the request.
TEST(GuestSession, UnansweredWatchTimesOutNamingIt) {
  Session s;
  Status st = s.session.watch_guest_files({"/sys/block/nbd0/inflight"}, 100ms);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message().find("agent did not answer watch files within 100 ms"),
            std::string::npos)
      << st.error().message();
}

}  // namespace
}  // namespace wedge::run
