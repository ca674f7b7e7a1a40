// The NVMe/TCP reconnect deadlock (issues 19 and 21), on the recorded nvme-tcp-server-pause run
// of tests/testdata/hang-titles/nvme-reconnect-pause: once the paused server guest resumes,
// the controller's reconnect work allocates with GFP_KERNEL, and its reclaim writes swap to
// nvme0n1, which has no path until that very reconnect succeeds. The hang after the fault is
// named by the reconnect, the same way from every trace route; the hang during the pause stays
// the server's, which the relay proves holds the requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"
#include "harness/detect/task_roles.h"
#include "tests/unit/recorded_tasks.h"
#include "tests/unit/testdata.h"

namespace wedge::detect {
namespace {

using wedge::testing::testdata;

constexpr const char* kRun = "hang-titles/nvme-reconnect-pause/";
constexpr const char* kReconnectTitle = "nvme-tcp: reconnect stuck in page allocation";
constexpr const char* kReconnectSignature = "hang|nvme-tcp: reconnect stuck|page allocation";
constexpr const char* kServerTitle = "nvme-tcp: server not answering requests";

nlohmann::json recorded(const std::string& file) {
  return nlohmann::json::parse(testdata(std::string(kRun) + file));
}

// What stage_traces hands hang_title_after_traces for traces/N: the agent's tasks ranked,
// the sysrq-t list's senders, the subkind, and the transport whose server the guest talks to.
// The relay's word (silent_server) is the caller's.
HangEvidence traces_evidence(int n) {
  auto summary = recorded("traces/" + std::to_string(n) + "/summary.json");
  auto all = recorded("traces/" + std::to_string(n) + "/all-tasks.json");
  HangEvidence e;
  e.stacks = report_stacks(test::recorded_tasks(summary["tasks"]));
  e.senders = sender_stacks(test::recorded_tasks(all));
  e.subkind = summary["subkind"];
  e.server_transport = "nvme-tcp";
  return e;
}

// The relay during the pause: bytes toward the stopped server guest stayed queued.
HangEvidence with_stopped_server(HangEvidence e) {
  e.silent_server = "nvme-tcp";
  e.server_stopped_reading = true;
  return e;
}

reports::Finding retitled(reports::Finding f, const HangEvidence& e) {
  HangTitle t = hang_title_after_traces(f, e);
  if (!t.title.empty()) retitle_hang(&f, t.title);
  return f;
}

bool has_group_in(const std::vector<reports::StackGroup>& stacks, const std::string& frame) {
  for (const auto& g : stacks) {
    if (std::find(g.frames.begin(), g.frames.end(), frame) != g.frames.end()) return true;
  }
  return false;
}

// The reconnect worker's stack as the agent read it (traces/1).
std::vector<std::string> reconnect_frames() {
  for (const auto& t : test::recorded_tasks(recorded("traces/1/summary.json")["tasks"])) {
    if (t.pid == 24) return t.frames;
  }
  ADD_FAILURE() << "no reconnect worker (pid 24) in traces/1/summary.json";
  return {};
}

// The recorded run, replayed through the live detector with the timings of its report.json
// (stall 20 s, the server guest paused from 9.1 s to 39.1 s, progress never again), each
// finding's traces attached as stage_traces attaches them.
TEST(HangReconnect, RecordedPauseRunThroughTheDetector) {
  auto report = recorded("report.json");
  const auto& found = report["findings"];
  ASSERT_EQ(found.size(), 2u);
  Detector d({.stall_s = 20, .heartbeat_lost_s = 60, .recover = true});
  d.arm(0);
  double t = 0;
  for (; t < 9; t += 0.5) {
    d.on_heartbeat(t);
    d.on_progress(t);
    d.tick(t);
  }
  d.on_fault(true, report["faults"][0]["start_s"].get<double>());
  for (; t < 39; t += 0.5) {
    d.on_heartbeat(t);
    d.tick(t);
  }
  auto during = d.take_trace_request();
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(d.findings()[*during].evidence, found[0]["evidence"].get<std::string>());
  EXPECT_TRUE(d.findings()[*during].during_fault);
  HangEvidence paused = with_stopped_server(traces_evidence(0));
  HangTitle pause_title = hang_title_after_traces(d.findings()[*during], paused);
  EXPECT_EQ(pause_title.title,
            found[0]["title"].get<std::string>());  // the server, as the run titled it
  d.attach_traces(*during, 32.3, {"agent"}, paused.stacks, paused.subkind, pause_title.title);

  d.on_fault(false, report["faults"][0]["stop_s"].get<double>());
  for (; t < 70 && !d.done(); t += 0.5) {
    d.on_heartbeat(t);
    d.tick(t);
  }
  ASSERT_TRUE(d.done());
  auto after = d.take_trace_request();
  ASSERT_TRUE(after.has_value());
  const reports::Finding& no_recovery = d.findings()[*after];
  EXPECT_EQ(no_recovery.title,
            found[1]["title"].get<std::string>());  // the detector's own title, as recorded
  EXPECT_EQ(no_recovery.evidence, found[1]["evidence"].get<std::string>());
  HangEvidence resumed = traces_evidence(1);  // the server guest answers again: no relay word
  HangTitle title = hang_title_after_traces(no_recovery, resumed);
  d.attach_traces(*after, 62.2, {"agent"}, resumed.stacks, resumed.subkind, title.title);

  EXPECT_EQ(d.verdict(), reports::Verdict::kHang);
  EXPECT_EQ(d.reason(), kReconnectTitle);
  EXPECT_EQ(d.findings()[*after].signature, kReconnectSignature);
  EXPECT_EQ(d.findings()[*during].title, kServerTitle);
  // The reconnect leads the report, its waiters (kswapd, the hog) follow.
  const auto& stacks = d.findings()[*after].stacks;
  ASSERT_EQ(stacks.size(), 3u);
  EXPECT_EQ(first_comm(stacks.front()), "kworker/u2:1+nvme-wq");
  EXPECT_EQ(first_comm(stacks[1]), "kswapd0");
  EXPECT_TRUE(has_group_in({stacks[1]}, "bio_alloc_bioset"));
}

// The reconnect worker in reclaim is the task the others wait on; the table reads its frames.
TEST(HangReconnect, TheReconnectInReclaimIsTheCause) {
  std::vector<std::string> worker = reconnect_frames();
  TaskRoleMatch m = task_role(worker, "kworker/u2:1+nvme-wq");
  EXPECT_EQ(m.role, TaskRole::kReconnect);
  EXPECT_TRUE(is_cause(m.role));
  EXPECT_EQ(m.cause_frame, "nvme_tcp_setup_ctrl");  // nvme_tcp_alloc_queue inlined in 6.1
  EXPECT_EQ(m.driver, "nvme-tcp");
  EXPECT_TRUE(m.allocating);
  // kswapd and the hog, in the same mempool_alloc under swap-out, are waiters.
  for (const auto& t : test::recorded_tasks(recorded("traces/1/summary.json")["tasks"])) {
    if (t.pid == 24) continue;
    EXPECT_EQ(task_role(t.frames, t.comm).role, TaskRole::kWaiter) << t.comm;
  }
  // Ranked first wherever it came in the dump.
  std::vector<reports::StackGroup> ranked = traces_evidence(1).stacks;
  std::rotate(ranked.begin(), ranked.begin() + 1, ranked.end());
  EXPECT_EQ(first_comm(rank_by_role(ranked).front()), "kworker/u2:1+nvme-wq");

  // Not allocating, the same worker is no cause: waiting for the target's ICResp it is a
  // receiver (the server's to answer), and error recovery quiescing its queues waits for RCU.
  std::vector<std::string> icresp = {"sk_wait_data",
                                     "tcp_recvmsg_locked",
                                     "tcp_recvmsg",
                                     "inet_recvmsg",
                                     "sock_recvmsg",
                                     "kernel_recvmsg",
                                     "nvme_tcp_init_connection",
                                     "nvme_tcp_alloc_queue",
                                     "nvme_tcp_setup_ctrl",
                                     "nvme_tcp_reconnect_ctrl_work"};
  TaskRoleMatch waiting = task_role(icresp, "kworker/u2:1+nvme-wq");
  EXPECT_EQ(waiting.role, TaskRole::kReceiver);
  EXPECT_EQ(waiting.driver, "nvme-tcp");
  EXPECT_EQ(task_role({"synchronize_srcu", "blk_mq_quiesce_queue", "nvme_tcp_error_recovery_work"},
                      "kworker/u2:0+nvme-wq")
                .role,
            TaskRole::kWaitsForCpu);
  EXPECT_FALSE(is_cause(task_role({"mutex_lock", "nvme_tcp_setup_ctrl", "nvme_reset_ctrl_work"},
                                  "kworker/u2:0+nvme-reset-wq")
                            .role));
}

// One bug, one signature: from the agent's scan, from the sysrq-t list of the same dump, and
// with the reconnect caught in another of its allocations (a queue's socket or PDU buffer
// with nvme_tcp_alloc_queue not inlined, error recovery's teardown).
TEST(HangReconnect, OneSignatureWhereverTheReconnectIsCaught) {
  std::vector<std::string> worker = reconnect_frames();
  auto cut = std::find(worker.begin(), worker.end(), "page_frag_alloc_align");
  ASSERT_NE(cut, worker.end());
  std::vector<std::string> reclaim(worker.begin(), cut);  // mempool_alloc .. __alloc_pages
  auto caught_in = [&](std::vector<std::string> tail) {
    std::vector<std::string> frames = reclaim;
    frames.insert(frames.end(), tail.begin(), tail.end());
    return cause_title({reports::StackGroup{1, "D", {"kworker/u2:1+nvme-wq:24"}, frames}});
  };
  EXPECT_EQ(caught_in({"page_frag_alloc_align", "nvme_tcp_setup_ctrl",
                       "nvme_tcp_reconnect_ctrl_work", "process_one_work"}),
            kReconnectTitle);
  EXPECT_EQ(caught_in({"__kmalloc", "nvme_tcp_alloc_queue", "nvme_tcp_setup_ctrl",
                       "nvme_tcp_reconnect_ctrl_work"}),
            kReconnectTitle);
  EXPECT_EQ(caught_in({"sk_alloc", "inet_create", "__sock_create", "nvme_tcp_alloc_queue",
                       "nvme_tcp_alloc_admin_queue", "nvme_tcp_configure_admin_queue",
                       "nvme_tcp_setup_ctrl", "nvme_reset_ctrl_work"}),
            kReconnectTitle);
  EXPECT_EQ(caught_in({"kmem_cache_alloc", "nvme_tcp_error_recovery_work"}), kReconnectTitle);

  reports::Finding no_recovery;
  no_recovery.kind = "hang";
  no_recovery.evidence = "progress after fault";
  retitle_hang(&no_recovery, "no recovery within 20 s after the fault ended");
  HangEvidence from_sysrq_t = traces_evidence(1);
  from_sysrq_t.stacks = report_stacks(test::recorded_tasks(recorded("traces/1/all-tasks.json")));
  EXPECT_EQ(first_comm(from_sysrq_t.stacks.front()), "kworker/u2:1");  // sysrq-t's comm
  EXPECT_EQ(retitled(no_recovery, from_sysrq_t).signature, kReconnectSignature);
  EXPECT_EQ(retitled(no_recovery, traces_evidence(1)).signature, kReconnectSignature);
}

// The relay's word and what each shape of evidence gives the two findings.
TEST(HangReconnect, TheServerStaysFirstWhileItHoldsTheRequests) {
  reports::Finding no_recovery;
  no_recovery.kind = "hang";
  no_recovery.evidence = "progress after fault";
  retitle_hang(&no_recovery, "no recovery within 20 s after the fault ended");
  const std::string detector_signature = no_recovery.signature;

  // The relay saw the server take every byte and answer none (it waits for a connect that
  // never comes): the reconnect stays the cause.
  HangEvidence quiet = traces_evidence(1);
  quiet.silent_server = "nvme-tcp";
  EXPECT_EQ(retitled(no_recovery, quiet).title, kReconnectTitle);
  // Bytes toward the server still queued (it holds the requests): the server, as in the pause.
  EXPECT_EQ(retitled(no_recovery, with_stopped_server(traces_evidence(1))).title, kServerTitle);

  // The pause's own traces: no reconnect yet, the server with the relay's proof or its
  // silence alone.
  HangEvidence pause = traces_evidence(0);
  EXPECT_FALSE(has_group_in(pause.stacks, "nvme_tcp_setup_ctrl"));
  reports::Finding stalled;
  stalled.kind = "hang";
  stalled.evidence = "progress";
  retitle_hang(&stalled, "no workload progress for 20 s");
  EXPECT_EQ(retitled(stalled, with_stopped_server(pause)).title, kServerTitle);
  HangEvidence silent_pause = pause;
  silent_pause.silent_server = "nvme-tcp";
  EXPECT_EQ(retitled(stalled, silent_pause).title, kServerTitle);

  // After the fault without a cause in the traces (only the waiters): the detector's title
  // and signature stay what they mean, a stall that outlived its fault.
  EXPECT_EQ(hang_title_after_traces(no_recovery, pause).title, "");
  EXPECT_EQ(retitled(no_recovery, pause).signature, detector_signature);
}

// `wedge analyze` on the client's console (its second sysrq-w, after the resume): the
// reconnect worker leads and names the hang, with the live run's signature.
TEST(HangReconnect, AnalyzeNamesTheReconnectWorker) {
  std::string text = testdata(std::string(kRun) + "console-excerpt.log");
  Analysis a = analyze_console_log(text.substr(text.find("# ---\n") + 6));
  EXPECT_EQ(a.verdict, reports::Verdict::kHang);
  EXPECT_EQ(a.reason, kReconnectTitle);
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].signature, kReconnectSignature);
  ASSERT_FALSE(a.findings[0].stacks.empty());
  EXPECT_EQ(first_comm(a.findings[0].stacks.front()), "kworker/u2:1");
  EXPECT_TRUE(has_group_in({a.findings[0].stacks.front()}, "nvme_tcp_reconnect_ctrl_work"));
  EXPECT_TRUE(has_group_in(a.findings[0].stacks, "balance_pgdat"));  // kswapd, the waiter
}

}  // namespace
}  // namespace wedge::detect
