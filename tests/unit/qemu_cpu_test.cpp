// QEMU's CPU time from /proc: schedstat and stat parsing, vCPU thread names, and the sums over
// a fake /proc tree (no QEMU, no root).
#include "harness/run/qemu_cpu.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;

TEST(QemuCpu, SchedstatIsCpuAndWaitInSeconds) {
  auto t = parse_schedstat("2500000000 750000000 1234\n");
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->cpu_s, 2.5);
  EXPECT_DOUBLE_EQ(t->wait_s, 0.75);
  EXPECT_FALSE(parse_schedstat("garbage"));
  EXPECT_FALSE(parse_schedstat("12"));
}

TEST(QemuCpu, StatCpuSkipsACommWithSpacesAndParentheses) {
  // utime 300, stime 100 ticks; tty_nr and tpgid negative as for a daemon.
  std::string line =
      "4242 (CPU 0/TCG) (x)) S 1 4242 4242 0 -1 4194368 1000 0 0 0 300 100 0 0 20 0 4 0 1";
  auto s = parse_stat_cpu_s(line, 100);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(*s, 4.0);
  EXPECT_FALSE(parse_stat_cpu_s("4242 (qemu) S 1 2", 100));
}

TEST(QemuCpu, VcpuThreadsAreNamedByQemu) {
  EXPECT_TRUE(is_vcpu_thread("CPU 0/TCG"));
  EXPECT_TRUE(is_vcpu_thread("CPU 12/KVM"));
  EXPECT_FALSE(is_vcpu_thread("qemu-system-x86"));
  EXPECT_FALSE(is_vcpu_thread("CPU x/KVM"));
  EXPECT_FALSE(is_vcpu_thread("CPU /KVM"));
}

class QemuCpuTree : public wedge::testing::TempDirFixture {};

TEST_F(QemuCpuTree, SumsEveryThreadAndTheVcpusApart) {
  auto thread = [&](int tid, const std::string& comm, const std::string& schedstat) {
    fs::path d = dir() / "proc" / "4242" / "task" / std::to_string(tid);
    fs::create_directories(d);
    ASSERT_TRUE(write_file_atomic(d / "comm", comm + "\n").ok());
    ASSERT_TRUE(write_file_atomic(d / "schedstat", schedstat + "\n").ok());
  };
  thread(4242, "qemu-system-x86", "1000000000 100000000 10");
  thread(4243, "CPU 0/TCG", "5000000000 2000000000 10");
  thread(4244, "CPU 1/TCG", "3000000000 1000000000 10");
  auto cpu = read_qemu_cpu(4242, dir() / "proc");
  ASSERT_TRUE(cpu);
  EXPECT_DOUBLE_EQ(cpu->cpu_s, 9.0);
  EXPECT_TRUE(cpu->wait_known);
  EXPECT_NEAR(cpu->wait_s, 3.1, 1e-9);
  EXPECT_DOUBLE_EQ(cpu->vcpu_cpu_s, 8.0);
  EXPECT_DOUBLE_EQ(cpu->vcpu_wait_s, 2.0) << "the vCPU that waited longest, not the sum";
  EXPECT_EQ(cpu->vcpus, 2);
  EXPECT_FALSE(read_qemu_cpu(4343, dir() / "proc")) << "a gone QEMU has no counters";
}

}  // namespace
}  // namespace wedge::run
