// Tests for traces/crash_task_list.h on the real output of crash 8.0.2 walking the task list
// of a wedge guest dumped during an NBD server stall (tests/testdata/crash/task_list.txt).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/traces/crash_task_list.h"
#include "tests/unit/testdata.h"

namespace wedge::traces {
namespace {

using wedge::testing::testdata;

TEST(CrashTaskList, RecordedDumpHasEveryTaskWithItsState) {
  auto tasks = parse_crash_task_list(testdata("crash/task_list.txt"));
  ASSERT_EQ(tasks.size(), 50u);
  EXPECT_EQ(tasks[0], (DumpTask{0xffffffffad01aa40ULL, 0, "swapper/0", 'R'}));
  EXPECT_EQ(tasks[1], (DumpTask{0xffff88d5811f8000ULL, 1, "init", 'D'}));
  std::vector<int> blocked;
  for (const auto& t : tasks) {
    if (t.state == 'D') blocked.push_back(t.pid);
  }
  EXPECT_EQ(blocked, (std::vector<int>{1, 36, 86}));
  EXPECT_EQ(std::count_if(tasks.begin(), tasks.end(), [](auto& t) { return t.state == 'I'; }), 35);
}

TEST(CrashTaskList, WarningsBetweenRecordsAreSkipped) {
  auto tasks = parse_crash_task_list(
      "bt: read of stack at fffffe0000014000 failed\n"
      "ffff88d5811f8000\n  pid = 7,\n  comm = \"kswapd0\\000\\000\",\n  __state = 1,\n"
      "crash: some warning\n"
      "ffff88d5811fe000\n  pid = 8,\n  comm = \"nbd-server\",\n  __state = 258,\n");
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0], (DumpTask{0xffff88d5811f8000ULL, 7, "kswapd0", 'S'}));
  // 258 = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE (TASK_KILLABLE): ps shows D.
  EXPECT_EQ(tasks[1], (DumpTask{0xffff88d5811fe000ULL, 8, "nbd-server", 'D'}));
}

TEST(CrashTaskList, StateLetters) {
  EXPECT_EQ(task_state_letter(0), 'R');
  EXPECT_EQ(task_state_letter(1), 'S');
  EXPECT_EQ(task_state_letter(2), 'D');
  EXPECT_EQ(task_state_letter(0x402), 'I');
  EXPECT_EQ(task_state_letter(4), 'T');
  EXPECT_EQ(task_state_letter(0x20), 'Z');
  EXPECT_EQ(task_state_letter(0x8000), '?');
}

TEST(CrashTaskList, TableListsBlockedTasksFirst) {
  std::string table = format_dump_tasks(parse_crash_task_list(testdata("crash/task_list.txt")));
  size_t init = table.find(" D   ffff88d5811f8000  init\n");
  ASSERT_NE(init, std::string::npos) << table;
  EXPECT_LT(init, table.find("swapper/0"));
  EXPECT_LT(table.find("      1  D"), table.find("     36  D"));
}

}  // namespace
}  // namespace wedge::traces
