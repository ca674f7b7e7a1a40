// Unit tests for the host-safety parts of harness/util: files created exclusively and never
// through a planted symlink, atomic writes that leave no temp file, capped logs, owners of
// leftovers, and interruptible child processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "harness/util/capped_log.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/util/owner.h"
#include "harness/util/process.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class HostSafety : public testing::TempDirFixture {
 public:
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(dir()), {}));
  }
};

TEST_F(HostSafety, SparseFileIsNewPrivateAndNeverThroughASymlink) {
  ASSERT_TRUE(write_file_atomic(dir() / "victim", "precious").ok());
  fs::create_symlink(dir() / "victim", dir() / "export.img");
  auto planted = create_sparse_file(dir() / "export.img", 1 << 20);
  ASSERT_FALSE(planted.ok());
  EXPECT_NE(planted.error().message().find("already there"), std::string::npos)
      << planted.error().message();
  EXPECT_EQ(*read_file(dir() / "victim"), "precious");
  EXPECT_EQ(fs::file_size(dir() / "victim"), 8u);

  ASSERT_TRUE(create_sparse_file(dir() / "fresh.img", 1 << 20).ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir() / "fresh.img").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 1 << 20);
  EXPECT_FALSE(create_sparse_file(dir() / "fresh.img", 1 << 20).ok()) << "reused a file";
}

TEST_F(HostSafety, AppendAndExclusiveCreateRefuseSymlinks) {
  ASSERT_TRUE(write_file_atomic(dir() / "victim", "precious").ok());
  fs::create_symlink(dir() / "victim", dir() / "events.jsonl");
  EXPECT_FALSE(append_file(dir() / "events.jsonl", "x").ok());
  EXPECT_FALSE(create_file_exclusive(dir() / "events.jsonl", "x").ok());
  EXPECT_EQ(*read_file(dir() / "victim"), "precious");
  ASSERT_TRUE(create_file_exclusive(dir() / "new", "data").ok());
  EXPECT_EQ(*read_file(dir() / "new"), "data");
}

TEST_F(HostSafety, AtomicWriteReplacesASymlinkWithoutTouchingItsTargetOrLeavingTempFiles) {
  ASSERT_TRUE(write_file_atomic(dir() / "victim", "precious").ok());
  fs::create_symlink(dir() / "victim", dir() / "report.json");
  ASSERT_TRUE(write_file_atomic(dir() / "report.json", "{}").ok());
  EXPECT_FALSE(fs::is_symlink(dir() / "report.json"));
  EXPECT_EQ(*read_file(dir() / "report.json"), "{}");
  EXPECT_EQ(*read_file(dir() / "victim"), "precious");
  EXPECT_EQ(entries(), 2u) << "a temp file was left behind";
  struct stat st {};
  ASSERT_EQ(::stat((dir() / "report.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(HostSafety, FailedAtomicWriteLeavesNoTempFile) {
  fs::create_directory(dir() / "report.json");  // rename onto a directory fails
  ASSERT_TRUE(write_file_atomic(dir() / "report.json/inner", "x").ok());
  EXPECT_FALSE(write_file_atomic(dir() / "report.json", "{}").ok());
  EXPECT_EQ(entries(), 1u) << "a temp file was left behind";
}

TEST_F(HostSafety, CappedLogCutsAtTheCapWithAMarkerAndCountsWhatItDropped) {
  {
    CappedLog log(dir() / "workload.log", 10);
    log.append("0123456");
    log.append("789abcdef");
    log.append("ghij");
    EXPECT_EQ(log.written(), 10u);
    EXPECT_EQ(log.dropped(), 10u);
    EXPECT_TRUE(log.status().ok());
  }
  std::string text = *read_file(dir() / "workload.log");
  EXPECT_EQ(text.substr(0, 10), "0123456789");
  EXPECT_NE(text.find("workload.log reached its cap of 10 bytes"), std::string::npos) << text;
  EXPECT_NE(text.find("[wedge: 10 bytes dropped after the 10-byte cap]"), std::string::npos)
      << text;
}

TEST_F(HostSafety, CappedLogKeepsTheFirstWriteErrorWithItsErrno) {
  CappedLog full("/dev/full", 1 << 20);
  full.append("x");
  ASSERT_FALSE(full.status().ok());
  EXPECT_EQ(full.error_number(), ENOSPC);
  EXPECT_NE(full.status().error().message().find("No space left on device"), std::string::npos);

  fs::create_symlink(dir() / "victim", dir() / "agent.log");
  CappedLog planted(dir() / "agent.log", 100);
  planted.append("x");
  EXPECT_FALSE(planted.status().ok());
  EXPECT_FALSE(fs::exists(dir() / "victim"));
}

TEST(Owner, RoundTripsAndTellsLiveFromDead) {
  const Owner& me = self_owner();
  EXPECT_EQ(me.pid, ::getpid());
  EXPECT_GT(me.start_ticks, 0u);
  EXPECT_FALSE(me.boot_id.empty());
  auto parsed = parse_owner(me.to_string());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, me);
  EXPECT_TRUE(owner_alive(me));

  Owner reused = me;
  reused.start_ticks += 1;  // our pid, another start time: a reused pid
  EXPECT_FALSE(owner_alive(reused));
  Owner other_boot = me;
  other_boot.boot_id = "00000000-0000-0000-0000-000000000000";
  EXPECT_FALSE(owner_alive(other_boot));

  auto old_form = parse_owner("pid=1");
  ASSERT_TRUE(old_form.has_value());
  EXPECT_EQ(old_form->start_ticks, 0u);
  EXPECT_FALSE(parse_owner("kvm-probe").has_value());
  EXPECT_FALSE(parse_owner("pid=12x").has_value());
}

TEST(Owner, ExitedChildIsDead) {
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  auto start = process_start_ticks(child);
  ASSERT_TRUE(start.ok());
  Owner o{child, *start, self_owner().boot_id};
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(owner_alive(o));
}

TEST(Owner, ProcStatParsesCommWithSpacesAndParentheses) {
  auto st = parse_proc_stat(
      "4242 (a b) c)) T 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50");
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(st->state, 'T');
  EXPECT_EQ(st->pgid, 4242);
  EXPECT_EQ(st->start_ticks, 987654u);
  EXPECT_FALSE(parse_proc_stat("garbage").ok());
}

TEST(Owner, TempDirNamesCarryTheirOwner) {
  auto dir = TempDir::create("wedge-cmd");
  ASSERT_TRUE(dir.ok());
  auto owner = owner_of_temp_name(dir->path().filename().string());
  ASSERT_TRUE(owner.has_value()) << dir->path();
  EXPECT_EQ(owner->pid, self_owner().pid);
  EXPECT_EQ(owner->start_ticks, self_owner().start_ticks);
  EXPECT_FALSE(owner_of_temp_name("wedge-cmd-abcdef").has_value());
  EXPECT_FALSE(owner_of_temp_name("notes.txt").has_value());
  auto dotted = owner_of_temp_name(".build-0123.4242.99-AbCdEf");
  ASSERT_TRUE(dotted.has_value());
  EXPECT_EQ(dotted->pid, 4242);
  EXPECT_EQ(dotted->start_ticks, 99u);
}

TEST(Interrupt, SigintStopsARunningCommandAtOnce) {
  install_interrupt_handlers();
  std::thread signaller([] {
    std::this_thread::sleep_for(200ms);
    ::kill(::getpid(), SIGINT);
  });
  auto start = std::chrono::steady_clock::now();
  auto out = run_command({"sleep", "30"}, 60s);
  auto took = std::chrono::steady_clock::now() - start;
  signaller.join();
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message(), "sleep: interrupted by SIGINT");
  EXPECT_LT(took, 2s);
  reset_interrupt_for_tests();
  EXPECT_FALSE(interrupted());
}

}  // namespace
}  // namespace wedge
