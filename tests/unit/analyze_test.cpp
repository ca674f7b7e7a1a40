// Offline analysis of recorded console logs: the verdict, the hang's subkind (deadlock vs
// livelock), the grouped stacks, and findings from logs with and without timestamps.
#include "harness/detect/analyze.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::detect {
namespace {

namespace fs = std::filesystem;
using reports::Verdict;

using wedge::testing::console_recording;

const reports::StackGroup* group_with(const reports::Finding& f, const std::string& task_prefix,
                                      const std::string& state) {
  for (const auto& g : f.stacks) {
    for (const auto& t : g.tasks) {
      if (g.state == state && t.rfind(task_prefix, 0) == 0) return &g;
    }
  }
  return nullptr;
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// A blocked-task dump taken by this run (sysrq w of a server guest while its client hung).
const std::string kAskedForDump =
    "[   56.832404] sysrq: Show Blocked State\n"
    "[   56.832596] task:kworker/u2:1    state:D stack:0     pid:24    ppid:2      "
    "flags:0x00004000\n"
    "[   56.832711] Workqueue: nvme-wq nvme_tcp_reconnect_ctrl_work [nvme_tcp]\n"
    "[   56.832817] Call Trace:\n"
    "[   56.832851]  <TASK>\n"
    "[   56.832895]  __schedule+0x34d/0xa00\n"
    "[   56.832966]  schedule+0x5a/0xd0\n"
    "[   56.833000]  schedule_timeout+0x94/0x150\n"
    "[   56.833043]  ? __bpf_trace_tick_stop+0x10/0x10\n"
    "[   56.833092]  io_schedule_timeout+0x4c/0x80\n"
    "[   56.833132]  mempool_alloc+0x172/0x1b0\n"
    "[   56.833175]  ? cpuusage_read+0x10/0x10\n"
    "[   56.833216]  bio_alloc_bioset+0x1e2/0x490\n"
    "[   56.833258]  ? xas_store+0x54/0x620\n"
    "[   56.833297]  __swap_writepage+0x93/0x480\n"
    "[   56.833342]  pageout+0xd1/0x250\n"
    "[   56.833382]  shrink_folio_list+0x5a1/0xb60\n"
    "[   56.833428]  shrink_lruvec+0x8fd/0x10c0\n"
    "[   56.833471]  ? compact_zone+0xaf/0xdb0\n"
    "[   56.833517]  shrink_node+0x2c6/0x720\n"
    "[   56.833556]  do_try_to_free_pages+0xde/0x5b0\n"
    "[   56.833600]  try_to_free_pages+0xe3/0x210\n"
    "[   56.833645]  __alloc_pages_slowpath.constprop.0+0x338/0xe70\n"
    "[   56.833705]  __alloc_pages+0x305/0x330\n"
    "[   56.833746]  page_frag_alloc_align+0xda/0x280\n"
    "[   56.833789]  ? nvme_tcp_alloc_queue+0x2d2/0x540 [nvme_tcp]\n"
    "[   56.833884]  nvme_tcp_setup_ctrl+0x95/0x510 [nvme_tcp]\n"
    "[   56.834023]  ? finish_task_switch.isra.0+0x90/0x2d0\n"
    "[   56.834106]  nvme_tcp_reconnect_ctrl_work+0x1f/0x30 [nvme_tcp]\n"
    "[   56.834167]  process_one_work+0x1c7/0x380\n";

TEST(Analyze, ADumpAloneIsAHangUnlessTheRunAskedForIt) {
  EXPECT_EQ(analyze_console_log(kAskedForDump).verdict, Verdict::kHang);
  Analysis asked = analyze_console_log(kAskedForDump, {.hangs_from_task_dumps = false});
  EXPECT_EQ(asked.verdict, Verdict::kPass);
  EXPECT_TRUE(asked.findings.empty());
}

TEST(Analyze, LoopbackNbdDeadlockWithoutHungTaskMessage) {
  Analysis a = analyze_console_log(console_recording("guest-loopback-nbd-deadlock.log"));
  EXPECT_EQ(a.verdict, Verdict::kHang);
  ASSERT_EQ(a.findings.size(), 1u);
  const auto& f = a.findings[0];
  // nbd-server, the task every other waits on, is in reclaim itself (issue 19).
  EXPECT_EQ(f.title, "INFO: task hung in __alloc_pages_slowpath");
  EXPECT_EQ(f.subkind, "deadlock");
  ASSERT_TRUE(f.onset_s.has_value());
  EXPECT_NEAR(*f.onset_s, 50.335786 - 30, 1e-6);  // first stuck request, minus its runtime
  const auto* nbd = group_with(f, "nbd-server:", "D");
  ASSERT_NE(nbd, nullptr) << "nbd-server's stack missing from the report";
  EXPECT_TRUE(has(nbd->frames, "mempool_alloc"));
  EXPECT_TRUE(has(nbd->frames, "try_to_free_pages"));
  EXPECT_TRUE(has(f.routes, "sysrq-w"));
}

TEST(Analyze, IoFlusherLivelockIsALivelock) {
  Analysis a = analyze_console_log(console_recording("guest-loopback-nbd-ioflusher-livelock.log"));
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.findings[0].subkind, "livelock");
  const auto* nbd = group_with(a.findings[0], "nbd-server:", "R");
  ASSERT_NE(nbd, nullptr);
  EXPECT_TRUE(has(nbd->frames, "shrink_node"));
}

TEST(Analyze, HostServerStoppedHungTaskWithOnsetFromTheMessage) {
  Analysis a =
      analyze_console_log(console_recording("host-nbd-server-stopped-hung-task-sysrq-w.log"));
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "INFO: task hung in shmem_swapin_folio");
  EXPECT_NEAR(*a.findings[0].onset_s, 31.799692 - 10, 1e-6);
  EXPECT_EQ(a.findings[0].subkind, "deadlock");
  // Blocked tasks are grouped by identical stack, most frequent first.
  ASSERT_GE(a.findings[0].stacks.size(), 2u);
  EXPECT_GE(a.findings[0].stacks[0].count, a.findings[0].stacks[1].count);
}

TEST(Analyze, NmiPanicIsATraceRouteNotACrash) {
  Analysis a = analyze_console_log(console_recording("host-nbd-stopped-nmi-panic-dump.log"));
  EXPECT_EQ(a.verdict, Verdict::kHang);
  for (const auto& f : a.findings) EXPECT_NE(f.kind, "crash") << f.title;
  EXPECT_TRUE(has(a.findings[0].routes, "nmi"));
}

TEST(Analyze, CleanRunsPass) {
  for (const char* name : {"iscsi-swap-hog-900-pass.log", "nfs-swapfile-hog-900-pass.log"}) {
    Analysis a = analyze_console_log(console_recording(name));
    EXPECT_EQ(a.verdict, Verdict::kPass) << name;
    EXPECT_TRUE(a.findings.empty()) << name;
  }
}

TEST(Analyze, OopsFromTheCrashModule) {
  Analysis a = analyze_console_log(console_recording("wedge-crash-oops.log"));
  EXPECT_EQ(a.verdict, Verdict::kCrash);
  EXPECT_EQ(a.reason, "BUG: unable to handle kernel NULL pointer dereference in wedge_crash_oops");
}

// A plain dmesg: no timestamps, still findings from messages and stacks.
TEST(Analyze, PlainDmesgWithoutTimestamps) {
  std::string log =
      "INFO: task kworker/0:1:12 blocked for more than 120 seconds.\n"
      "task:kworker/0:1     state:D stack:0     pid:12    ppid:2      flags:0x00004000\n"
      "Call Trace:\n"
      " <TASK>\n"
      " __schedule+0x34d/0xa00\n"
      " schedule+0x5a/0xd0\n"
      " io_schedule+0x42/0x70\n"
      " nfs_wait_bit_killable+0x20/0x90 [nfs]\n"
      " nfs_updatepage+0x20/0x90 [nfs]\n"
      " </TASK>\n"
      "nfs: server 10.0.2.2 not responding, still trying\n";
  Analysis a = analyze_console_log(log);
  EXPECT_EQ(a.verdict, Verdict::kHang);
  EXPECT_EQ(a.reason, "INFO: task hung in nfs_updatepage");  // past the wait helper
  EXPECT_FALSE(a.findings[0].onset_s.has_value());
  EXPECT_FALSE(a.findings[0].detected_s.has_value());
}

}  // namespace
}  // namespace wedge::detect
