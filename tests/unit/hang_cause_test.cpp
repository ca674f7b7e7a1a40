// Hang titles that name the cause, on recorded stacks of each shape (issue 19): the task the
// others wait on (a driver stuck sending, a storage daemon or the virtio_net refill worker in
// reclaim) or a server that holds the requests names the hang, the same way run after run; a
// server that took every byte is not blamed for a request the guest never finished sending;
// the waiters stay in the report after it; a plain slow disk keeps the waiters' title.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "harness/console/parser.h"
#include "harness/detect/analyze.h"
#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"
#include "harness/detect/server_silence.h"
#include "harness/detect/task_roles.h"
#include "harness/detect/verdict_rules.h"
#include "harness/traces/console_tasks.h"
#include "tests/unit/recorded_tasks.h"
#include "tests/unit/testdata.h"

namespace wedge::detect {
namespace {

using wedge::testing::testdata;

// The one title and signature of the reserves-removed deadlock, seen or inferred.
constexpr const char* kReservesTitle = "nbd: request transmit stuck in page allocation";
constexpr const char* kReservesSignature = "hang|nbd: request transmit stuck|page allocation";

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
  std::vector<traces::TaskTrace> tasks = test::recorded_tasks(summary["tasks"]);
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
  EXPECT_EQ(f1.title, "nbd: request transmit stuck in page allocation");
  EXPECT_EQ(f1.signature, "hang|nbd: request transmit stuck|page allocation");
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
  EXPECT_EQ(retitled(silence_hang(), silent).title, kReservesTitle);
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
    EXPECT_EQ(d.reason(), kReservesTitle) << run;
    EXPECT_EQ(d.findings()[*i].signature, kReservesSignature) << run;
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
  // Only with the relay's proof that the server stopped reading (bytes toward it stayed
  // queued): a server that took every byte may be waiting for the rest of the sender's request.
  HangEvidence waiting_sender = e;
  waiting_sender.stacks = rank_by_role({stacks.front(), sender});
  waiting_sender.server_stopped_reading = true;
  EXPECT_EQ(waiting_sender.stacks.front().tasks, sender.tasks);
  EXPECT_EQ(retitled(hung, waiting_sender).title, "iscsi: server not answering requests");
  waiting_sender.server_stopped_reading = false;
  EXPECT_EQ(retitled(hung, waiting_sender).title, "INFO: task hung in __sock_xmit");
  waiting_sender.silent_server.clear();
  EXPECT_EQ(retitled(hung, waiting_sender).title, "INFO: task hung in __sock_xmit");
  // Without the relay's word, the kernel's own report keeps its title.
  EXPECT_EQ(retitled(hung, with_stacks(stacks)).title, "INFO: task hung in rq_qos_wait");
}

// Requests wait (the guest sends, the server answers nothing) from t = 2 on; `queued` is what
// the relay held toward the server at each look.
ServerSilence silence_with_queue(const std::vector<uint64_t>& queued) {
  ServerSilence s;
  s.observe(0, 100, 100, 0);
  s.observe(1, 100, 100, 0);
  for (size_t i = 0; i < queued.size(); ++i) {
    s.observe(2 + static_cast<double>(i), 200 + 100 * i, 100, queued[i]);
  }
  return s;
}

TEST(ServerSilence, QueuedBytesProveTheServerStoppedReading) {
  // Bytes toward the server stayed queued at every look from t = 2: it stopped reading.
  ServerSilence stopped = silence_with_queue({4096, 65536, 131072, 131072});
  EXPECT_EQ(stopped.stopped_reading_s(5), 3);
  EXPECT_EQ(stopped.silence_at(5, 5, 3), Silence::kStoppedReading);
  EXPECT_EQ(stopped.silence_at(4.5, 5, 3), Silence::kAnswering);  // neither window yet

  // The same silence with the server taking every byte: a suspicion only, after its window.
  ServerSilence took_all = silence_with_queue({0, 0, 0, 0});
  EXPECT_EQ(took_all.stopped_reading_s(9), 0);
  EXPECT_EQ(took_all.silence_at(5, 5, 3), Silence::kAnswering);
  EXPECT_EQ(took_all.silence_at(7, 5, 3), Silence::kUnanswered);

  // A queue that emptied at one look starts over: the server still reads, if slowly.
  ServerSilence reading = silence_with_queue({4096, 4096, 0, 4096});
  EXPECT_EQ(reading.stopped_reading_s(6), 1);
  EXPECT_EQ(reading.silence_at(6, 5, 3), Silence::kAnswering);
  EXPECT_EQ(reading.silence_at(7, 5, 3), Silence::kUnanswered);

  // Bytes queued while the server answers are a busy server, not a silent one: only the time
  // since its last answer counts.
  ServerSilence busy;
  for (int t = 0; t < 10; ++t) {
    busy.observe(t, 1000 * static_cast<uint64_t>(t), 500 * static_cast<uint64_t>(t), 65536);
  }
  EXPECT_EQ(busy.stopped_reading_s(10), 1);
  EXPECT_EQ(busy.silence_at(10, 5, 3), Silence::kAnswering);

  // A restarted relay's counters start afresh, the queue's too.
  stopped.observe(6, 10, 5, 4096);
  EXPECT_EQ(stopped.stopped_reading_s(6), 0);
  EXPECT_EQ(stopped.silence_at(8, 5, 3), Silence::kAnswering);
}

// tgtd SIGSTOPped (the iscsi-server-stall run of this change): the relay, backed up, stopped
// reading the guest in the same second as tgtd's last answer, so no guest byte came after
// it and nothing "waits" by the counters; the bytes queued toward tgtd are the proof.
TEST(ServerSilence, QueuedBytesAreRequestsEvenWhenTheGuestSentNothingNew) {
  ServerSilence s;
  s.observe(16.2, 111'000'000, 89'000, 0);
  s.observe(17.2, 111'779'704, 89'264, 1'048'576);  // the last answer, the relay backed up
  for (double t = 18.2; t < 25; t += 1) s.observe(t, 111'779'704, 89'264, 1'200'000);
  EXPECT_EQ(s.silent_with_requests_s(25), 0);  // the counters alone see nothing waiting
  EXPECT_GE(s.stopped_reading_s(25), 7);
  EXPECT_EQ(s.silence_at(25, 5, 3), Silence::kStoppedReading);
}

// A recorded run: the detector's finding as report.json has it, the blocked and running
// tasks as `stacks` and every driver sender of the sysrq-t list as `senders`, as stage_traces
// hands them over.
struct RecordedDump {
  reports::Finding finding;
  HangEvidence evidence;
};

RecordedDump recorded_dump(const std::string& run) {
  auto report = nlohmann::json::parse(testdata("hang-titles/" + run + "/report.json"));
  auto all = nlohmann::json::parse(testdata("hang-titles/" + run + "/all-tasks.json"));
  const auto& found = report["findings"].at(0);
  RecordedDump r;
  r.finding = silence_hang();
  r.finding.evidence = found["evidence"];
  r.finding.title = r.finding.report = found["title"];
  r.finding.blamed.clear();
  r.finding.signature = found["signature"];
  nlohmann::json summary;
  summary["tasks"] = all;
  std::vector<traces::TaskTrace> tasks = test::recorded_tasks(summary["tasks"]);
  r.evidence.stacks = report_stacks(tasks);
  r.evidence.senders = sender_stacks(tasks);
  r.evidence.subkind = found["subkind"];
  r.evidence.server_transport = "nbd";
  return r;
}

// nbd-raid1-leg-crash hung before its fault: kblockd, its request half sent, asleep in
// sk_stream_wait_memory after a page allocation failure; the server read all it got and
// waits for the rest. The detector called it the server; the sender is the cause, whether or
// not the relay also calls the server silent, as long as nothing stayed queued toward it.
TEST(HangCause, HalfSentRequestIsTheSenderNotTheServer) {
  RecordedDump r = recorded_dump("raid1-sleeping-sender");
  EXPECT_EQ(r.finding.title, "storage server answered none of 7 requests for 3 s");
  ASSERT_EQ(r.evidence.senders.size(), 1u);
  EXPECT_EQ(r.evidence.senders[0].state, "S");  // not among the blocked and running stacks
  EXPECT_EQ(r.evidence.senders[0].tasks, std::vector<std::string>{"kworker/0:1H:35"});
  EXPECT_EQ(cause_title(r.evidence.stacks), "");  // the stacks alone hold no cause

  reports::Finding f = retitled(r.finding, r.evidence);
  EXPECT_EQ(f.title, "INFO: task hung in __sock_xmit");
  EXPECT_EQ(f.signature, "hang|INFO: task hung|__sock_xmit");
  HangEvidence quiet = r.evidence;
  quiet.silent_server = "nbd";  // kUnanswered: it took every byte
  EXPECT_EQ(retitled(r.finding, quiet).title, "INFO: task hung in __sock_xmit");
  EXPECT_TRUE(has_group_in(r.evidence.stacks, "bio_alloc_bioset"));  // the waiters stay

  // Without the sleeping sender the server would still take the blame, as it did.
  quiet.senders.clear();
  EXPECT_EQ(retitled(r.finding, quiet).title, "nbd: server not answering requests");
  HangEvidence detector_only = r.evidence;  // the detector's word alone, no relay silence
  detector_only.senders.clear();
  EXPECT_EQ(retitled(r.finding, detector_only).title, "nbd: server not answering requests");
}

// nbd-server SIGSTOPped mid-swap: kblockd sleeps in the same sk_stream_wait_memory, waiting for
// socket space the stopped server never frees. With the relay's proof (bytes toward the
// server stayed queued) the server is the cause; the sender waits for it.
TEST(HangCause, StoppedServerStaysTheServerWithASleepingSender) {
  RecordedDump r = recorded_dump("nbd-server-stall");
  EXPECT_EQ(r.finding.title, "storage server answered none of 100 requests for 3 s");
  EXPECT_EQ(sender_title(r.evidence), "INFO: task hung in __sock_xmit");  // the same shape
  EXPECT_EQ(retitled(r.finding, r.evidence).title, "INFO: task hung in __sock_xmit");
  HangEvidence stopped = r.evidence;
  stopped.silent_server = "nbd";
  stopped.server_stopped_reading = true;
  reports::Finding f = retitled(r.finding, stopped);
  EXPECT_EQ(f.title, "nbd: server not answering requests");
  EXPECT_EQ(f.signature, "hang|nbd: server not answering requests");
  EXPECT_TRUE(has_group_in(stopped.stacks, "__swap_writepage"));  // the waiters stay
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

// A run of tests/testdata/hang-titles as its traces left it: the hang the detector found
// before traces (its kind, evidence and, for a kernel report, frames), what the traces gave
// (task stacks, subkind), and the title the run was given at the time.
struct RecordedHang {
  reports::Finding finding;
  HangEvidence evidence;
  std::string recorded_title;
};

RecordedHang recorded_hang(const std::string& run, const std::string& transport) {
  auto report = nlohmann::json::parse(testdata("hang-titles/" + run + "/report.json"));
  auto summary = nlohmann::json::parse(testdata("hang-titles/" + run + "/summary.json"));
  const auto& found = report["findings"].at(0);
  RecordedHang r;
  r.finding = silence_hang();
  r.finding.evidence = found["evidence"];
  r.finding.frames = found["frames"].get<std::vector<std::string>>();
  if (!r.finding.frames.empty()) {  // the kernel's hung-task report, as finding_from_event
    retitle_hang(&r.finding, "INFO: task hung in " + console::blamed_frame(r.finding.frames));
  }
  std::vector<traces::TaskTrace> tasks = test::recorded_tasks(summary["tasks"]);
  r.evidence.stacks = report_stacks(tasks);
  r.evidence.subkind = summary["subkind"];
  r.evidence.server_transport = transport;
  r.recorded_title = found["title"];
  return r;
}

const std::vector<std::string> kReservesRuns = {
    "reserves-r1", "reserves-r2", "reserves-r3",
    "reserves-r4", "reserves-r5", "reserves-r6",
    "reserves-r7", "reserves-r8", "reserves-bisect-1dea6dc-r2"};

// The eight compare runs of the reserves-removed kernel were titled three ways; only one of
// them holds the sender's stack. Each now gets the one title, whether the relay called the
// server silent or not (it counts bytes, so a half-sent request looks unanswered), and keeps
// its waiters in the report.
TEST(HangCause, RecordedReservesRunsGetOneSignature) {
  std::set<std::string> before, after;
  for (const auto& run : kReservesRuns) {
    RecordedHang r = recorded_hang(run, "nbd");
    before.insert(r.recorded_title);
    reports::Finding f = retitled(r.finding, r.evidence);
    EXPECT_EQ(f.title, kReservesTitle) << run;
    after.insert(f.signature);
    HangEvidence silent = r.evidence;
    silent.silent_server = "nbd";
    EXPECT_EQ(retitled(r.finding, silent).title, kReservesTitle) << run;
    EXPECT_TRUE(has_group_in(r.evidence.stacks, "bio_alloc_bioset")) << run;
  }
  EXPECT_EQ(before.size(), 3u);
  EXPECT_EQ(after, std::set<std::string>{kReservesSignature});

  // Through the live detector, as stage_traces hands it the title: verdict and reason.
  RecordedHang r1 = recorded_hang("reserves-r1", "nbd");
  Detector d({.stall_s = 20, .heartbeat_lost_s = 60});
  d.arm(0);
  d.tick(21);
  auto i = d.take_trace_request();
  ASSERT_TRUE(i.has_value());
  HangTitle t = hang_title_after_traces(d.findings()[*i], r1.evidence);
  d.attach_traces(*i, 23, {"agent-sysrq"}, r1.evidence.stacks, r1.evidence.subkind, t.title);
  EXPECT_EQ(d.verdict(), reports::Verdict::kHang);
  EXPECT_EQ(d.reason(), kReservesTitle);
  EXPECT_EQ(d.findings()[*i].signature, kReservesSignature);
  EXPECT_TRUE(has_group_in(d.findings()[*i].stacks, "bio_alloc_bioset"));
}

// Which evidence carries each recorded run: r6 and the bisect run show the sender itself;
// r8 shows nbd's receive worker asleep on the socket lock the sender holds; the others show
// only the waiters while the vCPU kept running (the spinning sender missing from sysrq-w).
TEST(HangCause, RecordedReservesRunsByTheirEvidence) {
  RecordedHang r6 = recorded_hang("reserves-r6", "nbd");
  EXPECT_EQ(first_comm(r6.evidence.stacks.front()), "kworker/0:1H+kblockd");
  EXPECT_EQ(cause_title(r6.evidence.stacks), kReservesTitle);
  EXPECT_EQ(cause_title(recorded_hang("reserves-bisect-1dea6dc-r2", "nbd").evidence.stacks),
            kReservesTitle);

  RecordedHang r8 = recorded_hang("reserves-r8", "nbd");
  EXPECT_EQ(r8.finding.title, "INFO: task hung in tcp_recvmsg");  // recv_work, the kernel said
  EXPECT_EQ(cause_title(r8.evidence.stacks), "");
  HangEvidence lock_only = r8.evidence;
  lock_only.subkind.clear();           // no registers: the receive worker on the lock is enough
  lock_only.server_transport.reset();  // nor the transport: its frames are nbd's
  EXPECT_EQ(inferred_transmit_title(lock_only), kReservesTitle);

  RecordedHang r1 = recorded_hang("reserves-r1", "nbd");
  EXPECT_EQ(cause_title(r1.evidence.stacks), "");
  EXPECT_EQ(inferred_transmit_title(r1.evidence), kReservesTitle);
  HangEvidence halted = r1.evidence;
  halted.subkind = "deadlock";  // every vCPU idle: nothing spins for memory, the waiters stay
  EXPECT_EQ(retitled(r1.finding, halted).title, "INFO: task hung in bio_alloc_bioset");
  halted.silent_server = "nbd";  // and with a silent server, the server
  EXPECT_EQ(retitled(r1.finding, halted).title, "nbd: server not answering requests");
  HangEvidence loopback = r1.evidence;
  loopback.server_transport = "";  // nbd-loopback: the server runs in the guest, no sender
  EXPECT_EQ(inferred_transmit_title(loopback), "");
}

// The stock kernel's refill_work deadlock keeps its own title, apart from the reserves one,
// also in the run whose only dump was sysrq-w.
TEST(HangCause, RecordedStockRunsAreTheRefillWorker) {
  for (const char* run : {"stock-r1", "stock-r6"}) {
    RecordedHang r = recorded_hang(run, "nbd");
    EXPECT_EQ(r.recorded_title, "INFO: task hung in refill_work") << run;
    HangEvidence silent = r.evidence;
    silent.silent_server = "nbd";
    for (const HangEvidence& e : {r.evidence, silent}) {
      reports::Finding f = retitled(r.finding, e);
      EXPECT_EQ(f.title, "INFO: task hung in refill_work") << run;
      EXPECT_NE(f.signature, kReservesSignature) << run;
    }
    EXPECT_TRUE(has_group_in(r.evidence.stacks, "bio_alloc_bioset")) << run;
  }
}

// The recorded server stall (tgtd stopped, every vCPU halted): nothing in the guest spins
// for memory, so the silent server stays the cause with the transport known.
TEST(HangCause, RecordedServerStallStaysTheServer) {
  HangEvidence e = with_stacks(recorded_run_stacks("iscsi-server-stall-pass"));
  e.subkind = "deadlock";
  e.server_transport = "iscsi";
  e.silent_server = "iscsi";
  EXPECT_EQ(inferred_transmit_title(e), "");
  reports::Finding hung = silence_hang();
  hung.evidence = "console line 357";
  retitle_hang(&hung, "INFO: task hung in rq_qos_wait");
  EXPECT_EQ(retitled(hung, e).title, "iscsi: server not answering requests");
}

// A slow disk under a busy CPU: writers wait in throttling, not in reclaim, so no sender is
// inferred even with the vCPU running and the transport known.
TEST(HangCause, SlowDiskOnABusyCpuIsNoSender) {
  HangEvidence e = with_stacks(stacks_of("slow-disk-writeback.log"));
  e.server_transport = "nbd";
  e.subkind = "livelock";
  EXPECT_EQ(inferred_transmit_title(e), "");
  EXPECT_NE(retitled(silence_hang(), e).title.find("balance_dirty_pages"), std::string::npos);
}

// nbd's receive worker reads through __sock_xmit too: it is a receiver, never the sender.
TEST(TaskRoles, TheReceiveWorkerIsNotTheSender) {
  std::vector<std::string> recv = {"__schedule",   "schedule",           "__lock_sock",
                                   "sk_wait_data", "tcp_recvmsg_locked", "tcp_recvmsg",
                                   "inet_recvmsg", "__sock_xmit",        "recv_work"};
  TaskRoleMatch m = task_role(recv, "kworker/u3:0");
  EXPECT_EQ(m.role, TaskRole::kReceiver);
  EXPECT_EQ(m.driver, "nbd");
  EXPECT_TRUE(m.waits_for_socket_lock);
  EXPECT_FALSE(is_cause(m.role));
  std::vector<std::string> idle(recv.begin() + 3, recv.end());  // waiting for data: no lock
  EXPECT_FALSE(task_role(idle, "kworker/u3:0").waits_for_socket_lock);
}

// `wedge analyze` on the recorded consoles: where the console holds the sender (r6's sysrq-t)
// or nbd's receive worker on the socket lock (r8), the live title; where it holds only the
// blocked waiters (r1: no registers, no transport in a console), the waiters' title.
TEST(HangCause, AnalyzeOfRecordedReservesConsoles) {
  auto analyzed = [](const std::string& run) {
    std::string text = testdata("hang-titles/" + run + "/console-excerpt.log");
    return analyze_console_log(text.substr(text.find("# ---\n") + 6));
  };
  for (const char* run : {"reserves-r6", "reserves-r8"}) {
    Analysis a = analyzed(run);
    EXPECT_EQ(a.verdict, reports::Verdict::kHang) << run;
    ASSERT_FALSE(a.findings.empty()) << run;
    EXPECT_EQ(a.findings[0].signature, kReservesSignature) << run;
    EXPECT_TRUE(has_group_in(a.findings[0].stacks, "bio_alloc_bioset")) << run;
  }
  Analysis r1 = analyzed("reserves-r1");
  EXPECT_EQ(r1.verdict, reports::Verdict::kHang);
  EXPECT_EQ(r1.reason, "INFO: task hung in bio_alloc_bioset");
}

}  // namespace
}  // namespace wedge::detect
