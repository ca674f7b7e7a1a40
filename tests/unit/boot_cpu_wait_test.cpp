// The boot's CPU wait from a fake /proc tree: the daemon's run delay during the domain start,
// QEMU's from its start, the longest-waiting vCPU until the agent answers, the clamp to the
// start's wall time, and "unknown" where the kernel keeps no schedstat.
#include "harness/run/boot_cpu_wait.h"

#include <gtest/gtest.h>

#include <string>

#include "harness/util/files.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;

constexpr pid_t kDaemon = 100;
constexpr pid_t kQemu = 200;

class BootCpuWaitTest : public wedge::testing::TempDirFixture {
 protected:
  // One thread of pid whose schedstat says it waited wait_s for a CPU.
  void thread(pid_t pid, int tid, const std::string& comm, double wait_s) {
    fs::path d = proc() / std::to_string(pid) / "task" / std::to_string(tid);
    fs::create_directories(d);
    ASSERT_TRUE(write_file_atomic(d / "comm", comm + "\n").ok());
    const auto wait_ns = static_cast<long long>(wait_s * 1e9);
    ASSERT_TRUE(
        write_file_atomic(d / "schedstat", "1000000 " + std::to_string(wait_ns) + " 7\n").ok());
  }
  [[nodiscard]] fs::path proc() const { return dir() / "proc"; }
};

TEST_F(BootCpuWaitTest, AddsTheDaemonsWaitDuringTheStartAndTheVcpusUntilReady) {
  thread(kDaemon, 100, "libvirtd", 0.5);
  thread(kDaemon, 101, "rpc-worker", 0.5);
  BootCpuWait wait(kDaemon, proc());
  thread(kDaemon, 101, "rpc-worker", 1.1);  // +0.6 s while libvirt started the domain
  thread(kQemu, 200, "qemu-system-x86", 0.2);
  thread(kQemu, 201, "CPU 0/TCG", 0.1);
  wait.started(kQemu, 2.0);
  EXPECT_DOUBLE_EQ(wait.domain_start_wait_s(), 0.6 + 0.3);
  EXPECT_EQ(wait.boot_wait_s(), -1) << "not ready yet";

  thread(kQemu, 201, "CPU 0/TCG", 1.1);
  thread(kQemu, 202, "CPU 1/TCG", 0.4);
  thread(kQemu, 200, "qemu-system-x86", 5.0) /* the main loop's wait is not the boot's */;
  wait.ready(kQemu);
  EXPECT_DOUBLE_EQ(wait.boot_wait_s(), 0.9 + 1.0);
}

TEST_F(BootCpuWaitTest, NeverTakesMoreThanTheStartsWallTime) {
  thread(kDaemon, 100, "libvirtd", 0);
  BootCpuWait wait(kDaemon, proc());
  thread(kDaemon, 100, "libvirtd", 3.0);
  thread(kQemu, 200, "qemu-system-x86", 0.5);
  wait.started(kQemu, 1.25);
  EXPECT_DOUBLE_EQ(wait.domain_start_wait_s(), 1.25);
}

TEST_F(BootCpuWaitTest, WithoutADaemonOnlyQemuCounts) {
  BootCpuWait wait(0, proc());
  thread(kQemu, 200, "qemu-system-x86", 0.25);
  thread(kQemu, 201, "CPU 0/TCG", 0);
  wait.started(kQemu, 1.0);
  EXPECT_DOUBLE_EQ(wait.domain_start_wait_s(), 0.25);
  thread(kQemu, 201, "CPU 0/TCG", 0.5);
  wait.ready(kQemu);
  EXPECT_DOUBLE_EQ(wait.boot_wait_s(), 0.75);
}

TEST_F(BootCpuWaitTest, UnknownWithoutSchedstatOrWithoutQemu) {
  BootCpuWait gone(kDaemon, proc());
  gone.started(kQemu, 1.0);
  gone.ready(kQemu);
  EXPECT_EQ(gone.domain_start_wait_s(), -1);
  EXPECT_EQ(gone.boot_wait_s(), -1);

  // A kernel without schedstat: /proc/PID/task/TID/stat only.
  fs::path task = proc() / std::to_string(kQemu) / "task" / std::to_string(kQemu);
  fs::create_directories(task);
  ASSERT_TRUE(write_file_atomic(task / "stat",
                                "200 (qemu) S 1 200 200 0 -1 0 0 0 0 0 30 10 0 0 20 0 4 0 1\n")
                  .ok());
  BootCpuWait no_schedstat(0, proc());
  no_schedstat.started(kQemu, 1.0);
  no_schedstat.ready(kQemu);
  EXPECT_EQ(no_schedstat.domain_start_wait_s(), -1);
  EXPECT_EQ(no_schedstat.boot_wait_s(), -1);
}

}  // namespace
}  // namespace wedge::run
