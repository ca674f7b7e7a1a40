// Tests for traces/console_tasks.h and traces/stack_groups.h on the recorded console logs in
// tests/testdata/console/ (sysrq-w, sysrq-t and NMI-panic task dumps of wedged guests).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "harness/traces/console_tasks.h"
#include "harness/traces/stack_groups.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::traces {
namespace {

using wedge::testing::console_recording;
namespace fs = std::filesystem;

std::vector<TaskTrace> from_source(const std::vector<TaskTrace>& all, const std::string& source) {
  std::vector<TaskTrace> out;
  std::copy_if(all.begin(), all.end(), std::back_inserter(out),
               [&](const TaskTrace& t) { return t.source == source; });
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

int count_state(const std::vector<TaskTrace>& tasks, const std::string& state) {
  return static_cast<int>(std::count_if(tasks.begin(), tasks.end(),
                                        [&](const TaskTrace& t) { return t.state == state; }));
}

TEST(ConsoleTasks, LoopbackDeadlockBlamesNbdServerInItsOwnSwapOut) {
  auto tasks = console_task_traces(console_recording("guest-loopback-nbd-deadlock.log"));
  auto blocked = from_source(tasks, "sysrq-w");
  auto all = from_source(tasks, "sysrq-t");
  EXPECT_EQ(blocked.size(), 6u);
  EXPECT_EQ(count_state(blocked, "D"), 6);
  EXPECT_EQ(all.size(), 68u);
  EXPECT_EQ(count_state(all, "D"), 6);
  EXPECT_EQ(count_state(all, "R"), 1);
  EXPECT_EQ(tasks.size(), blocked.size() + all.size()) << "no hung-task warning in this log";

  auto groups = group_stacks(blocked);
  ASSERT_EQ(groups.size(), 5u);
  const StackGroup& top = groups[0];
  EXPECT_EQ(top.count, 2);
  EXPECT_EQ(top.state, "D");
  EXPECT_EQ(top.tasks, (std::vector<std::string>{"nbd-server:143", "hog:231"}));
  EXPECT_EQ(top.blamed, "bio_alloc_bioset");
  ASSERT_GE(top.frames.size(), 15u);
  EXPECT_EQ(top.frames[0], "__schedule");
  EXPECT_EQ(top.frames[4], "mempool_alloc");
  EXPECT_EQ(top.frames[5], "bio_alloc_bioset");
  EXPECT_EQ(top.frames[6], "__swap_writepage");
  EXPECT_TRUE(has(top.frames, "try_to_free_pages"));
  EXPECT_EQ(top.frames.back(), "asm_exc_page_fault");
  // Everyone blocked, kswapd included, waits in the same place: mempool_alloc under
  // __swap_writepage, i.e. on swap I/O that only the blocked nbd-server could complete.
  for (const StackGroup& g : groups) {
    EXPECT_EQ(g.blamed, "bio_alloc_bioset") << g.tasks[0];
    EXPECT_TRUE(has(g.frames, "__swap_writepage")) << g.tasks[0];
  }
  EXPECT_EQ(groups[1].tasks, std::vector<std::string>{"init:1"});  // ties: log order
  EXPECT_EQ(groups[2].tasks, std::vector<std::string>{"kswapd0:36"});
  EXPECT_TRUE(has(groups[2].frames, "balance_pgdat"));
}

TEST(ConsoleTasks, SameTaskInTwoDumpsCountsOnce) {
  auto tasks = console_task_traces(console_recording("guest-loopback-nbd-deadlock.log"));
  std::vector<TaskTrace> d;
  std::copy_if(tasks.begin(), tasks.end(), std::back_inserter(d),
               [](const TaskTrace& t) { return t.state == "D"; });
  ASSERT_EQ(d.size(), 12u);  // six tasks, dumped by sysrq-w and again by sysrq-t
  auto groups = group_stacks(d);
  ASSERT_EQ(groups.size(), 5u);
  EXPECT_EQ(groups[0].count, 2);
  EXPECT_EQ(groups[0].tasks, (std::vector<std::string>{"nbd-server:143", "hog:231"}));
}

TEST(ConsoleTasks, HostServerStoppedShowsHungTasksAndSwapInWaits) {
  auto tasks =
      console_task_traces(console_recording("host-nbd-server-stopped-hung-task-sysrq-w.log"));
  auto hung = from_source(tasks, "hung_task");
  auto blocked = from_source(tasks, "sysrq-w");
  EXPECT_EQ(hung.size(), 3u);
  EXPECT_EQ(blocked.size(), 10u);
  ASSERT_FALSE(hung.empty());
  EXPECT_EQ(hung[0].comm, "exe");
  EXPECT_EQ(hung[0].state, "D");
  EXPECT_TRUE(has(hung[0].frames, "folio_wait_bit_common"));
  auto groups = group_stacks(blocked);
  ASSERT_FALSE(groups.empty());
  EXPECT_EQ(groups[0].state, "D");
  EXPECT_TRUE(groups[0].blamed == "shmem_swapin_folio" ||
              groups[0].blamed == "folio_wait_writeback")
      << groups[0].blamed;
  bool kswapd = false;
  for (const StackGroup& g : groups) {
    if (has(g.tasks, "kswapd0:36")) {
      kswapd = true;
      EXPECT_EQ(g.blamed, "bio_alloc_bioset");
    }
  }
  EXPECT_TRUE(kswapd);
}

TEST(ConsoleTasks, SysrqTListsSleepingAndIdleTasksToo) {
  auto tasks = console_task_traces(console_recording("host-nbd-server-stopped-sysrq-t.log"));
  auto all = from_source(tasks, "sysrq-t");
  EXPECT_EQ(count_state(all, "D"), 5);
  EXPECT_EQ(count_state(all, "R"), 1);
  EXPECT_EQ(count_state(all, "S"), 15);
  EXPECT_EQ(count_state(all, "I"), 49);
  auto running =
      std::find_if(all.begin(), all.end(), [](const TaskTrace& t) { return t.state == "R"; });
  ASSERT_NE(running, all.end());
  EXPECT_EQ(running->comm, "sysrqd");  // the task printing the dump
  EXPECT_EQ(running->pid, 140);
  auto groups = group_stacks(all);
  ASSERT_FALSE(groups.empty());
  // Most tasks are idle workqueue rescuers, all with one stack.
  EXPECT_EQ(groups[0].state, "I");
  EXPECT_EQ(groups[0].blamed, "rescuer_thread");
  EXPECT_EQ(groups[0].count, 35);
}

TEST(ConsoleTasks, ATaskInterruptedBySysrqIsItsOwnStackNotTheDumpers) {
  // sysrq-t by the keyboard interrupted kblockd while it sent an nbd request: the dump prints
  // kblockd with sched_show_task, the sysrq and keyboard handlers and asm_common_interrupt on
  // top. The task's stack starts below the interrupt.
  auto text = read_file(fs::path(WEDGE_TESTDATA_DIR) / "hang-titles" / "reserves-sysrq-t" /
                        "console-excerpt.log");
  ASSERT_TRUE(text.ok());
  auto tasks = console_task_traces(*text);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].comm, "kworker/0:1H");
  EXPECT_EQ(tasks[0].state, "R");
  EXPECT_EQ(tasks[0].source, "sysrq-t");
  ASSERT_FALSE(tasks[0].frames.empty());
  EXPECT_EQ(tasks[0].frames.front(), "page_vma_mapped_walk");
  EXPECT_FALSE(has(tasks[0].frames, "sched_show_task.cold"));
  EXPECT_FALSE(has(tasks[0].frames, "asm_common_interrupt"));
  EXPECT_TRUE(has(tasks[0].frames, "__sock_xmit"));
  EXPECT_TRUE(has(tasks[0].frames, "nbd_queue_rq"));
}

TEST(ConsoleTasks, TheTaskThatWroteSysrqTriggerKeepsItsStack) {
  // Running tasks in the recorded sysrq-t: the one printing the dump has no interrupt below
  // its dump frames, so nothing is cut.
  auto tasks = console_task_traces(console_recording("host-nbd-server-stopped-sysrq-t.log"));
  auto running =
      std::find_if(tasks.begin(), tasks.end(), [](const TaskTrace& t) { return t.state == "R"; });
  ASSERT_NE(running, tasks.end());
  EXPECT_EQ(running->comm, "sysrqd");
  ASSERT_FALSE(running->frames.empty());
}

TEST(ConsoleTasks, NmiPanicDumpIsTaggedNmi) {
  auto tasks = console_task_traces(console_recording("host-nbd-stopped-nmi-panic-dump.log"));
  auto nmi = from_source(tasks, "nmi");
  EXPECT_EQ(nmi.size(), 67u);
  EXPECT_EQ(count_state(nmi, "D"), 4);
  EXPECT_EQ(from_source(tasks, "sysrq-w").size(), 8u);  // two sysrq-w dumps before the NMI
  auto kswapd =
      std::find_if(nmi.begin(), nmi.end(), [](const TaskTrace& t) { return t.comm == "kswapd0"; });
  ASSERT_NE(kswapd, nmi.end());
  EXPECT_EQ(kswapd->state, "D");
  EXPECT_EQ(kswapd->pid, 36);
}

TEST(ConsoleTasks, PassingRunsHaveNoTaskDumps) {
  EXPECT_TRUE(console_task_traces(console_recording("iscsi-swap-hog-900-pass.log")).empty());
  EXPECT_TRUE(console_task_traces(console_recording("nfs-swapfile-hog-900-pass.log")).empty());
}

TEST(ConsoleTasks, DumpWithoutHeaderIsTaggedConsole) {
  std::string log =
      "[  1.0] task:foo            state:D stack:0     pid:42    ppid:2      flags:0x00004000\n"
      "[  1.0] Call Trace:\n"
      "[  1.0]  <TASK>\n"
      "[  1.0]  __schedule+0x34d/0xa00\n"
      "[  1.0]  ? bar+0x1/0x2\n"
      "[  1.0]  schedule+0x5a/0xd0\n"
      "[  1.0]  nbd_queue_rq+0x10/0x20 [nbd]\n"
      "[  1.0]  </TASK>\n";
  auto tasks = console_task_traces(log);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0],
            (TaskTrace{42, "foo", "D", "", {"__schedule", "schedule", "nbd_queue_rq"}, "console"}));
}

TEST(StackGroups, OrderIsByCountThenFirstAppearance) {
  auto t = [](int pid, std::string state, std::vector<std::string> frames) {
    return TaskTrace{pid, "t", std::move(state), "", std::move(frames), "agent"};
  };
  std::vector<TaskTrace> tasks = {
      t(1, "S", {"a"}),
      t(2, "D", {"io_schedule", "b"}),
      t(3, "D", {"io_schedule", "b"}),
      t(4, "R", {"a"}),  // same frames, other state: another group
      t(5, "S", {"a"}),
      t(6, "D", {}),
  };
  auto groups = group_stacks(tasks);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0], (StackGroup{2, "S", {"t:1", "t:5"}, {"a"}, "a"}));
  EXPECT_EQ(groups[1], (StackGroup{2, "D", {"t:2", "t:3"}, {"io_schedule", "b"}, "b"}));
  EXPECT_EQ(groups[2], (StackGroup{1, "R", {"t:4"}, {"a"}, "a"}));
  EXPECT_EQ(groups[3], (StackGroup{1, "D", {"t:6"}, {}, ""}));
  EXPECT_TRUE(group_stacks({}).empty());
}

}  // namespace
}  // namespace wedge::traces
