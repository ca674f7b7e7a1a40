// Hang titles that name the cause, on recorded stacks of each shape (issue 19): the task the
// others wait on (a driver stuck sending, a storage daemon or the virtio_net refill worker in
// reclaim) or a silent server names the hang, the same way run after run; the waiters stay in
// the report after it; a plain slow disk keeps the waiters' title.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/console/parser.h"
#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"
#include "harness/detect/server_silence.h"
#include "harness/detect/task_roles.h"
#include "harness/detect/verdict_rules.h"
#include "harness/traces/console_tasks.h"
#include "tests/unit/testdata.h"

namespace wedge::detect {
namespace {

using wedge::testing::testdata;

// The ranked stack groups of a tests/testdata/traces/hang-causes file (kernel console text
// after its "# ---" header).
std::vector<reports::StackGroup> stacks_of(const std::string& name) {
  std::string text = testdata("traces/hang-causes/" + name);
  text = text.substr(text.find("# ---\n") + 6);
  return report_stacks(traces::console_task_traces(text));
}

// The ranked stack groups of a recorded run's traces/0/summary.json (the agent's task scan).
std::vector<reports::StackGroup> recorded_run_stacks(const std::string& run) {
  auto summary = nlohmann::json::parse(testdata("runs/" + run + "/traces/0/summary.json"));
  std::vector<traces::TaskTrace> tasks;
  for (const auto& t : summary["tasks"]) {
    traces::TaskTrace task;
    task.pid = t["pid"];
    task.comm = t["comm"];
    task.state = t["state"];
    task.frames = t["frames"].get<std::vector<std::string>>();
    tasks.push_back(task);
  }
  return report_stacks(tasks);
}

// A hang our own stall timer found (no kernel message), as the detector makes it.
reports::Finding silence_hang() {
  Detector d({.stall_s = 20, .heartbeat_lost_s = 60});
  d.arm(0);
  d.tick(21);
  return d.findings().at(0);
}

reports::Finding retitled(reports::Finding f, const HangEvidence& e) {
  HangTitle t = hang_title_after_traces(f, e);
  if (!t.title.empty()) retitle_hang(&f, t.title);
  return f;
}

HangEvidence with_stacks(std::vector<reports::StackGroup> stacks) {
  HangEvidence e;
  e.stacks = std::move(stacks);
  return e;
}

bool has_group_in(const std::vector<reports::StackGroup>& stacks, const std::string& frame) {
  for (const auto& g : stacks) {
    if (std::find(g.frames.begin(), g.frames.end(), frame) != g.frames.end()) return true;
  }
  return false;
}

TEST(TaskRoles, TheTableReadsTheStackNotTheCount) {
  std::vector<std::string> kblockd = {"__alloc_pages_slowpath.constprop.0",
                                      "__alloc_pages",
                                      "skb_page_frag_refill",
                                      "tcp_sendmsg",
                                      "__sock_xmit",
                                      "nbd_send_cmd",
                                      "nbd_queue_rq"};
  TaskRoleMatch m = task_role(kblockd, "kworker/0:1H");
  EXPECT_EQ(m.role, TaskRole::kTransmit);
  EXPECT_EQ(m.cause_frame, "__sock_xmit");
  EXPECT_TRUE(m.allocating);
  EXPECT_EQ(task_role({"mutex_lock", "nbd_handle_cmd", "nbd_queue_rq"}, "kworker/0:1H").role,
            TaskRole::kTransmitBlocked);
  EXPECT_EQ(task_role({"mempool_alloc", "bio_alloc_bioset", "__swap_writepage"}, "kswapd0").role,
            TaskRole::kWaiter);
  // The same reclaim stack is the cause in nbd-server and a waiter in anyone else.
  std::vector<std::string> reclaim = {"mempool_alloc", "bio_alloc_bioset", "try_to_free_pages",
                                      "__alloc_pages_slowpath.constprop.0", "__alloc_pages"};
  EXPECT_EQ(task_role(reclaim, "nbd-server").role, TaskRole::kStorageDaemon);
  EXPECT_EQ(task_role(reclaim, "nbd-server").cause_frame, "__alloc_pages_slowpath");
  EXPECT_EQ(task_role(reclaim, "wedge-hog").role, TaskRole::kWaiter);
  // try_fill_recv from NAPI allocates atomically; only the refill worker reclaims.
  EXPECT_EQ(task_role({"__alloc_pages", "try_fill_recv", "virtnet_poll"}, "ksoftirqd/0").role,
            TaskRole::kOther);
  EXPECT_TRUE(waits_for_cpu({"__wait_rcu_gp", "synchronize_rcu", "demo_unregister"}));
  EXPECT_FALSE(waits_for_cpu(reclaim));
}

// Reserves removed: kblockd stuck allocating for the socket send that would free the
// reclaimers. In the second run two kworkers in create_worker outnumber everyone: one title,
// one signature all the same, and the waiters stay in the report after the cause.
TEST(HangCause, ReservesRemovedIsTheSenderInBothRuns) {
  auto run1 = stacks_of("nbd-reserves-removed-run1.log");
  auto run2 = stacks_of("nbd-reserves-removed-run2.log");
  ASSERT_GE(run2.size(), 2u);
  EXPECT_EQ(run2.front().tasks, std::vector<std::string>{"kworker/0:1H:31"});
  reports::Finding f1 = retitled(silence_hang(), with_stacks(run1));
  reports::Finding f2 = retitled(silence_hang(), with_stacks(run2));
  EXPECT_EQ(f1.title, "INFO: task hung in __sock_xmit");
  EXPECT_EQ(f1.signature, "hang|INFO: task hung|__sock_xmit");
  EXPECT_EQ(f2.signature, f1.signature);
  EXPECT_TRUE(has_group_in(run1, "bio_alloc_bioset"));  // the consequence, still reported
  EXPECT_TRUE(has_group_in(run2, "create_worker"));

  // The kernel's own hung-task warning for a waiter names the cause just the same.
  reports::Finding hung = silence_hang();
  hung.evidence = "console line 310";
  retitle_hang(&hung, "INFO: task hung in bio_alloc_bioset");
  EXPECT_EQ(retitled(hung, with_stacks(run2)).signature, f1.signature);

  // The half-sent request leaves the server waiting for the rest: the sender stays the cause.
  HangEvidence silent = with_stacks(run1);
  silent.silent_server = "nbd";
  EXPECT_EQ(retitled(silence_hang(), silent).title, "INFO: task hung in __sock_xmit");
}

// Through the live detector: a hang by silence, traces attached with the cause's title.
TEST(HangCause, LiveDetectorSignatureIsTheCause) {
  for (const char* run : {"nbd-reserves-removed-run1.log", "nbd-reserves-removed-run2.log"}) {
    Detector d({.stall_s = 20, .heartbeat_lost_s = 60});
    d.arm(0);
    d.tick(21);
    auto i = d.take_trace_request();
    ASSERT_TRUE(i.has_value());
    HangEvidence e = with_stacks(stacks_of(run));
    HangTitle t = hang_title_after_traces(d.findings()[*i], e);
    d.attach_traces(*i, 23, {"agent"}, e.stacks, "deadlock", t.title);
    EXPECT_EQ(d.verdict(), reports::Verdict::kHang) << run;
    EXPECT_EQ(d.reason(), "INFO: task hung in __sock_xmit") << run;
    EXPECT_EQ(d.findings()[*i].signature, "hang|INFO: task hung|__sock_xmit") << run;
  }
}

// The loopback deadlock: nbd-server, inside the guest, is in reclaim waiting on its own swap
// I/O. The same title from the recorded console (sysrq-w, analyze) and from the live run's
// agent task scan of the IO_FLUSHER variant, where nbd-server spins in reclaim instead.
TEST(HangCause, LoopbackDeadlockIsTheServerInReclaim) {
  Analysis a = analyze_console_log(testing::console_recording("guest-loopback-nbd-deadlock.log"));
  EXPECT_EQ(a.verdict, reports::Verdict::kHang);
  ASSERT_FALSE(a.findings.empty());
  EXPECT_EQ(a.findings[0].title, "INFO: task hung in __alloc_pages_slowpath");
  ASSERT_FALSE(a.findings[0].stacks.empty());
  EXPECT_EQ(first_comm(a.findings[0].stacks.front()), "nbd-server");

  auto live = recorded_run_stacks("nbd-loopback-io-flusher-hang");
  EXPECT_EQ(first_comm(live.front()), "nbd-server");
  reports::Finding f = retitled(silence_hang(), with_stacks(live));
  EXPECT_EQ(f.signature, a.findings[0].signature);
  EXPECT_TRUE(has_group_in(live, "bio_alloc_bioset"));

  Analysis spinning =
      analyze_console_log(testing::console_recording("guest-loopback-nbd-ioflusher-livelock.log"));
  EXPECT_EQ(spinning.findings.at(0).signature, a.findings[0].signature);
}

// The server stall: tgtd stopped; the guest's tasks wait in throttling and mempool, and the
// relay saw the guest send with no answer for 15 s. The server is the cause.
TEST(HangCause, ServerStallIsTheSilentServer) {
  auto stacks = recorded_run_stacks("iscsi-server-stall-pass");
  EXPECT_EQ(cause_title(stacks), "");  // no guest task is the cause
  ServerSilence silence;
  uint64_t sent = 900'000'000, answered = 630'000'000;
  for (int t = 30; t <= 52; ++t) {
    if (t <= 37) answered += 1'000'000;  // answering until the stall at 37.8 s
    sent += 500'000;
    silence.observe(t, sent, answered);
  }
  EXPECT_GE(silence.silent_with_requests_s(53), 15);
  HangEvidence e = with_stacks(stacks);
  e.silent_server = "iscsi";
  reports::Finding hung = silence_hang();
  hung.evidence = "console line 357";
  retitle_hang(&hung, "INFO: task hung in rq_qos_wait");
  reports::Finding f = retitled(hung, e);
  EXPECT_EQ(f.title, "iscsi: server not answering requests");
  EXPECT_EQ(f.signature, "hang|iscsi: server not answering requests");
  // A sender waiting for socket space (kblockd in the host-nbd-server-stopped sysrq-t) waits
  // for the silent server: the server stays the cause.
  reports::StackGroup sender{1,
                             "D",
                             {"kworker/0:1H:35"},
                             {"sk_stream_wait_memory", "tcp_sendmsg_locked", "tcp_sendmsg",
                              "sock_sendmsg", "__sock_xmit", "nbd_send_cmd", "nbd_queue_rq"}};
  HangEvidence waiting_sender = e;
  waiting_sender.stacks = rank_by_role({stacks.front(), sender});
  EXPECT_EQ(waiting_sender.stacks.front().tasks, sender.tasks);
  EXPECT_EQ(retitled(hung, waiting_sender).title, "iscsi: server not answering requests");
  waiting_sender.silent_server.clear();
  EXPECT_EQ(retitled(hung, waiting_sender).title, "INFO: task hung in __sock_xmit");
  // Without the relay's word, the kernel's own report keeps its title.
  EXPECT_EQ(retitled(hung, with_stacks(stacks)).title, "INFO: task hung in rq_qos_wait");
}

TEST(ServerSilence, OnlyUnansweredRequestsCount) {
  ServerSilence s;
  s.observe(0, 100, 100);
  s.observe(1, 100, 100);  // idle: nothing waits
  EXPECT_EQ(s.silent_with_requests_s(10), 0);
  s.observe(2, 200, 100);  // a request
  s.observe(3, 300, 100);
  EXPECT_EQ(s.silent_with_requests_s(9), 7);
  s.observe(4, 300, 150);  // answered
  EXPECT_EQ(s.silent_with_requests_s(9), 0);
  s.observe(5, 400, 150);
  s.observe(6, 10, 5);  // the relay restarted: counts start afresh
  EXPECT_EQ(s.silent_with_requests_s(9), 0);
}

// The virtio_net refill deadlock: the kernel said "possible stuck request"; the cause is the
// refill worker reclaiming into swap while no reply can arrive.
TEST(HangCause, VirtioNetRefillIsTheRefillWorker) {
  auto stacks = stacks_of("virtio-net-refill-reclaim.log");
  EXPECT_EQ(first_comm(stacks.front()), "kworker/0:2");
  reports::Finding stuck = silence_hang();
  stuck.evidence = "console line 402";
  stuck.title = stuck.report = "nbd: possible stuck request on nbd0";
  reports::Finding f = retitled(stuck, with_stacks(stacks));
  EXPECT_EQ(f.title, "INFO: task hung in refill_work");
  EXPECT_EQ(f.signature, "hang|INFO: task hung|refill_work");
  EXPECT_TRUE(has_group_in(stacks, "bio_alloc_bioset"));
}

// A plain slow disk: every task waits, none is the cause; the waiters' title stays, and a
// kernel message keeps its own.
TEST(HangCause, SlowDiskKeepsTheWaitersTitle) {
  auto stacks = stacks_of("slow-disk-writeback.log");
  EXPECT_EQ(cause_title(stacks), "");
  EXPECT_EQ(stacks.front().count, 2);  // the biggest group still leads
  reports::Finding f = retitled(silence_hang(), with_stacks(stacks));
  EXPECT_EQ(f.title, "INFO: task hung in " + console::blamed_frame(stacks.front().frames));
  EXPECT_NE(f.title.find("balance_dirty_pages"), std::string::npos) << f.title;
  reports::Finding hung = silence_hang();
  hung.evidence = "console line 20";
  EXPECT_EQ(hang_title_after_traces(hung, with_stacks(stacks)).title, "");
}

}  // namespace
}  // namespace wedge::detect
