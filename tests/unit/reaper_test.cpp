// Tests of the leftover reaper without libvirt: a dead wedge's run files (through its RunLease
// record), child processes (through WEDGE_OWNER) and temp dirs (through their names) go; a
// live owner's stay; a symlink in a run directory is removed, never followed.
#include "harness/run/reaper.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "harness/run/run_lease.h"
#include "harness/util/files.h"
#include "harness/util/owner.h"
#include "harness/util/process.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// An owner that existed and is gone: a child that exited.
Owner dead_owner() {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  Owner o{child, *process_start_ticks(child), self_owner().boot_id};
  int status = 0;
  ::waitpid(child, &status, 0);
  return o;
}

class ReaperTest : public testing::TempDirFixture {
 public:
  void SetUp() override {
    TempDirFixture::SetUp();
    fs::create_directories(state() / "runs");
    fs::create_directories(temp());
    fs::create_directories(run_dir());
  }
  fs::path state() const { return dir() / "state"; }
  fs::path temp() const { return dir() / "tmp"; }
  fs::path run_dir() const { return dir() / "run"; }
  ReapOptions options() const {
    ReapOptions o;
    o.state_dir = state();
    o.temp_dir = temp();
    return o;
  }
  void write_record(const std::string& id, const Owner& owner,
                    const std::vector<std::string>& files) {
    nlohmann::json j = {{"owner", owner.to_string()},
                        {"run_id", id},
                        {"run_dir", run_dir().string()},
                        {"files", files},
                        {"domain", "wedge-" + id}};
    ASSERT_TRUE(write_file_atomic(state() / "runs" / (id + ".json"), j.dump()).ok());
  }
};

TEST_F(ReaperTest, LeaseRecordsItsOwnerRunAndFilesAndGoesWithIt) {
  fs::path record = state() / "runs" / "r1.json";
  {
    auto taken = RunLease::take(state(), "r1", run_dir(), {"agent.sock"}, "wedge-r1");
    ASSERT_TRUE(taken.ok()) << taken.error().message();
    std::optional<RunLease> lease;
    lease = std::move(*taken);  // as the runner keeps it
    ASSERT_TRUE(lease->add_files({"export.img", "agent.sock"}).ok());
    auto leases = read_leases(state());
    ASSERT_EQ(leases.size(), 1u);
    EXPECT_EQ(leases[0].owner, self_owner());
    EXPECT_EQ(leases[0].run_id, "r1");
    EXPECT_EQ(leases[0].run_dir, run_dir());
    EXPECT_EQ(leases[0].domain, "wedge-r1");
    EXPECT_EQ(leases[0].files, (std::vector<std::string>{"agent.sock", "export.img"}));
    EXPECT_TRUE(fs::exists(record));
  }
  EXPECT_FALSE(fs::exists(record));
}

TEST_F(ReaperTest, DeadRunsFilesGoLiveRunsStaySymlinksAreNeverFollowed) {
  ASSERT_TRUE(write_file_atomic(dir() / "victim", "precious").ok());
  fs::create_symlink(dir() / "victim", run_dir() / "export.img");
  ASSERT_TRUE(write_file_atomic(run_dir() / "agent.sock", "").ok());
  ASSERT_TRUE(write_file_atomic(run_dir() / "report.json", "{}").ok());
  write_record("dead", dead_owner(), {"export.img", "agent.sock", "../victim", "/etc/passwd"});
  write_record("live", self_owner(), {"report.json"});

  Reaped reaped = reap_leftovers(options());
  EXPECT_FALSE(fs::exists(fs::symlink_status(run_dir() / "export.img")));
  EXPECT_FALSE(fs::exists(run_dir() / "agent.sock"));
  EXPECT_EQ(*read_file(dir() / "victim"), "precious");
  EXPECT_TRUE(fs::exists(run_dir() / "report.json")) << "a live run's file was removed";
  EXPECT_FALSE(fs::exists(state() / "runs" / "dead.json"));
  EXPECT_TRUE(fs::exists(state() / "runs" / "live.json"));
  EXPECT_EQ(reaped.removed.size(), 2u) << fmt::format("{}", fmt::join(reaped.removed, "\n"));
  EXPECT_TRUE(reaped.problems.empty());
}

TEST_F(ReaperTest, DryRunOnlyLists) {
  ASSERT_TRUE(write_file_atomic(run_dir() / "export.img", "x").ok());
  write_record("dead", dead_owner(), {"export.img"});
  ReapOptions o = options();
  o.dry_run = true;
  Reaped reaped = reap_leftovers(o);
  ASSERT_EQ(reaped.removed.size(), 1u);
  EXPECT_NE(reaped.removed[0].find("export.img"), std::string::npos);
  EXPECT_TRUE(fs::exists(run_dir() / "export.img"));
  EXPECT_TRUE(fs::exists(state() / "runs" / "dead.json"));
}

TEST_F(ReaperTest, TempDirsOfDeadOwnersGoOthersStay) {
  Owner dead = dead_owner();
  const Owner& me = self_owner();
  for (const std::string& name : {fmt::format("wedge-cmd.{}.{}-AbCdEf", dead.pid, dead.start_ticks),
                                  fmt::format("wedge-cmd.{}.{}-AbCdEf", me.pid, me.start_ticks),
                                  std::string("wedge-old-AbCdEf"),
                                  fmt::format("other.{}.{}-AbCdEf", dead.pid, dead.start_ticks)}) {
    fs::create_directories(temp() / name / "inside");
  }
  Reaped reaped = reap_leftovers(options());
  EXPECT_FALSE(
      fs::exists(temp() / fmt::format("wedge-cmd.{}.{}-AbCdEf", dead.pid, dead.start_ticks)));
  EXPECT_TRUE(fs::exists(temp() / fmt::format("wedge-cmd.{}.{}-AbCdEf", me.pid, me.start_ticks)));
  EXPECT_TRUE(fs::exists(temp() / "wedge-old-AbCdEf")) << "no owner in the name: not ours to judge";
  EXPECT_TRUE(fs::exists(temp() / fmt::format("other.{}.{}-AbCdEf", dead.pid, dead.start_ticks)));
  EXPECT_EQ(reaped.removed.size(), 1u);
}

TEST_F(ReaperTest, ProcessesOfDeadOwnersAreKilledOthersLive) {
  Owner dead = dead_owner();
  auto orphan =
      ChildProcess::spawn({"env", std::string(kOwnerEnv) + "=" + dead.to_string(), "sleep", "60"});
  auto mine = ChildProcess::spawn(
      {"env", std::string(kOwnerEnv) + "=" + self_owner().to_string(), "sleep", "60"});
  ASSERT_TRUE(orphan.ok() && mine.ok());
  std::this_thread::sleep_for(200ms);  // env has exec'd sleep
  Reaped reaped = reap_leftovers(options());
  auto ended = orphan->wait_for(5s);
  ASSERT_TRUE(ended.ok()) << "the dead owner's process still runs";
  EXPECT_EQ(ended->signal, SIGKILL);
  EXPECT_TRUE(mine->running()) << "a live owner's process was killed";
  bool listed = false;
  for (const auto& line : reaped.removed) {
    listed |= line.find(fmt::format("process {} (sleep", orphan->pid())) != std::string::npos;
  }
  EXPECT_TRUE(listed) << fmt::format("{}", fmt::join(reaped.removed, "\n"));
}

}  // namespace
}  // namespace wedge::run
