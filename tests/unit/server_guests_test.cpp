// The run's server guests (run::RunServerGuests) over a fake VM: a server guest whose kernel
// panics while booting is the kernel's boot failure, not the host's; one that panics later
// tells whoever asks that its storage is gone for good.
#include "harness/run/server_guests.h"

#include <gtest/gtest.h>

#include <thread>

#include "harness/config/scenario.h"
#include "harness/run/progress.h"
#include "harness/run/run_scenario.h"
#include "harness/util/files.h"
#include "tests/unit/fake_vm.h"
#include "tests/unit/scripted_server_guest.h"

namespace wedge::run {
namespace {

using namespace std::chrono_literals;
using testing::FakeBackend;
using testing::FakeVm;

constexpr const char* kBootPanic =
    "[    0.912345] Kernel panic - not syncing: VFS: Unable to mount root fs on "
    "unknown-block(0,0)\n";
constexpr const char* kLaterPanic =
    "[   13.128124] Kernel panic - not syncing: System is deadlocked on memory\n";

class ServerGuestsTest : public ::testing::Test {
 protected:
  static storage::ServerGuestSpec spec() {
    storage::ServerGuestSpec s;
    s.ports = {4420};
    return s;
  }
  void SetUp() override {
    auto dir = TempDir::create("wedge-server-guests-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    ctx_.run_dir = dir_->path();
    ctx_.run_start = std::chrono::steady_clock::now();
    ctx_.report.run_id = "20261207-000000-test";
  }

  config::Scenario scenario_;
  RunOptions options_;
  Progress progress_{/*quiet=*/true};
  reports::RunReport report_;
  RunContext ctx_{scenario_, options_, progress_, report_};
  ImageOutput image_;
  std::unique_ptr<TempDir> dir_;
};

TEST_F(ServerGuestsTest, APanicWhileBootingIsTheKernelsBootFailure) {
  FakeBackend backend([](FakeVm& vm, const vm::VmSpec&) { vm.console_at(0.1, kBootPanic); });
  RunServerGuests guests(ctx_, backend, image_, /*kvm=*/false);
  const auto started = std::chrono::steady_clock::now();
  auto guest = guests.boot(spec());
  ASSERT_FALSE(guest.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s) << "the panic ends the wait";
  ASSERT_TRUE(guests.boot_failure().has_value());
  EXPECT_EQ(*guests.boot_failure(),
            "the server guest (server) did not boot: kernel panic: VFS: Unable to mount root fs "
            "on unknown-block(0,0)");
  EXPECT_EQ(guest.error().message(), *guests.boot_failure());
}

TEST_F(ServerGuestsTest, NoHelloWithoutAPanicStaysTheHostsFailure) {
  FakeBackend backend([](FakeVm& vm, const vm::VmSpec&) {
    vm::DomainStatus gone;
    gone.state = vm::DomainState::kShutoff;
    gone.reason = "crashed";
    vm.stops_at(0.2, gone);
  });
  RunServerGuests guests(ctx_, backend, image_, /*kvm=*/false);
  auto guest = guests.boot(spec());
  ASSERT_FALSE(guest.ok());
  EXPECT_FALSE(guests.boot_failure().has_value());
  EXPECT_NE(guest.error().message().find("never got ready"), std::string::npos)
      << guest.error().message();
}

TEST_F(ServerGuestsTest, APanicAfterBootIsTheKernelDeathOfThatGuest) {
  testing::ScriptedAgent agent;
  FakeBackend backend([&agent](FakeVm& vm, const vm::VmSpec&) {
    vm.answer_with(&agent);
    vm.agent_at(0.1, agent::Hello{"6.1.0-fake-amd64", "test", 1000, 2048, 2048});
    vm.heartbeats(0.1, 5);
    vm.console_at(0.5, kLaterPanic);
  });
  RunServerGuests guests(ctx_, backend, image_, /*kvm=*/false);
  auto guest = guests.boot(spec());
  ASSERT_TRUE(guest.ok()) << guest.error().message();
  std::optional<std::string> death;
  for (int i = 0; i < 50 && !death; ++i) {
    std::this_thread::sleep_for(100ms);
    death = (*guest)->kernel_death();
  }
  ASSERT_TRUE(death.has_value()) << "the pumping thread saw no panic";
  EXPECT_EQ(*death, "kernel panic: System is deadlocked on memory");
  EXPECT_FALSE(guests.boot_failure().has_value());
}

// One RAID1 leg's server guest dying leaves the array running on the other: the storage is
// lost only when every server guest's kernel died.
TEST(StorageLostForGood, OnlyWhenEveryServerGuestDied) {
  int pauses = 0, resumes = 0;
  storage::ScriptedServerGuest leg1(nullptr, &pauses, &resumes);
  storage::ScriptedServerGuest leg2(nullptr, &pauses, &resumes);
  EXPECT_FALSE(storage::storage_lost_for_good({}).has_value()) << "no server guest, nothing lost";
  EXPECT_FALSE(storage::storage_lost_for_good({&leg1, &leg2}).has_value());
  leg1.death = "kernel panic: System is deadlocked on memory";
  EXPECT_FALSE(storage::storage_lost_for_good({&leg1, &leg2}).has_value()) << "leg2 still serves";
  EXPECT_EQ(storage::storage_lost_for_good({&leg1}), leg1.death);
  leg2.death = "kernel panic: Out of memory and no killable processes";
  EXPECT_EQ(storage::storage_lost_for_good({&leg1, &leg2}), leg2.death);
}

}  // namespace
}  // namespace wedge::run
