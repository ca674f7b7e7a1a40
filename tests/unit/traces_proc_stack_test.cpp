// Tests for traces/proc_stack.h on /proc/PID/stack text recorded on a host kernel
// (tests/testdata/traces/proc-stack-*.txt) and on hand-made edge cases.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/traces/proc_stack.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::traces {
namespace {

std::string testdata(const std::string& name) { return wedge::testing::testdata("traces/" + name); }

TEST(ProcStack, RecordedSleepingTask) {
  EXPECT_EQ(
      parse_proc_stack(testdata("proc-stack-sleep.txt")),
      (std::vector<std::string>{"hrtimer_nanosleep", "common_nsleep", "__x64_sys_clock_nanosleep",
                                "do_syscall_64", "entry_SYSCALL_64_after_hwframe"}));
}

TEST(ProcStack, RecordedKernelThreadWithoutFinalNewline) {
  EXPECT_EQ(parse_proc_stack(testdata("proc-stack-kthreadd.txt")),
            (std::vector<std::string>{"kthreadd", "ret_from_fork", "ret_from_fork_asm"}));
}

TEST(ProcStack, RealAddressesModulesAndJunk) {
  std::string text =
      "[<ffffffff8158a8e0>] folio_wait_bit_common+0x13d/0x380\n"
      "[<0>] nbd_queue_rq+0x2a/0x40 [nbd]\n"
      "[<0>] __alloc_pages_slowpath.constprop.0+0x338/0xe70\n"
      "garbage line\n"
      "[<0>] 0xffffffffc0001234\n"
      "[<0>] +0x10/0x20\n"
      "\n";
  EXPECT_EQ(parse_proc_stack(text),
            (std::vector<std::string>{"folio_wait_bit_common", "nbd_queue_rq",
                                      "__alloc_pages_slowpath.constprop.0"}));
  EXPECT_TRUE(parse_proc_stack("").empty());
}

TEST(ProcStack, AgentTaskBecomesATrace) {
  agent::Task task{7,
                   143,
                   "nbd-server",
                   "D",
                   "mempool_alloc",
                   "[<0>] mempool_alloc+0x172/0x1b0\n[<0>] bio_alloc_bioset+0x1e2/0x490\n"};
  TaskTrace t = task_trace_from_agent(task);
  EXPECT_EQ(t, (TaskTrace{143,
                          "nbd-server",
                          "D",
                          "mempool_alloc",
                          {"mempool_alloc", "bio_alloc_bioset"},
                          "agent"}));
  EXPECT_EQ(task_label(t), "nbd-server:143");
  task.wchan = "0";  // what the kernel prints for a running task
  EXPECT_EQ(task_trace_from_agent(task).wchan, "");
}

}  // namespace
}  // namespace wedge::traces
