// Bug keys of wedge bisect (harness/bisect/bug_key.h) on recorded-style runs of issue 18: one
// bug titled two ways matches itself, and not the other bug that shares its waiters.
#include <gtest/gtest.h>

#include <string>

#include "harness/bisect/bug_key.h"
#include "reports/run_reader.h"

namespace wedge::bisect {
namespace {

BugKey key_of_run(const std::string& relative) {
  auto rec = reports::read_run(std::string(WEDGE_TESTDATA_DIR) + "/" + relative);
  EXPECT_TRUE(rec.ok()) << (rec.ok() ? "" : rec.error().message());
  if (!rec.ok() || rec->report.findings.empty()) return {};
  return bug_key_of(rec->report.findings.front(), rec->signatures.front());
}

TEST(BisectBugKeyTest, OneBugTitledTwoWaysIsTheSameBug) {
  BugKey bio = key_of_run("bisect/reserves-hang-bio-alloc");
  BugKey worker = key_of_run("bisect/reserves-hang-create-worker");
  ASSERT_NE(bio.signature, worker.signature);  // the titles differ: that is the point
  double s = similarity(bio, worker);
  EXPECT_GE(s, kSameBugSimilarity) << s;
  EXPECT_TRUE(same_bug(bio, worker));
}

TEST(BisectBugKeyTest, TheVirtioRefillDeadlockIsAnotherBugThoughItSharesTheWaiters) {
  BugKey refill = key_of_run("bisect/virtio-refill-hang");
  for (const char* run : {"bisect/reserves-hang-bio-alloc", "bisect/reserves-hang-create-worker"}) {
    double s = similarity(key_of_run(run), refill);
    EXPECT_LT(s, kSameBugSimilarity) << run << ": " << s;
  }
}

TEST(BisectBugKeyTest, TheRecordedLoopbackLivelockIsAnotherBug) {
  BugKey flusher = key_of_run("runs/nbd-loopback-io-flusher-hang");
  EXPECT_FALSE(same_bug(key_of_run("bisect/reserves-hang-bio-alloc"), flusher));
  EXPECT_FALSE(same_bug(key_of_run("bisect/virtio-refill-hang"), flusher));
  EXPECT_DOUBLE_EQ(similarity(flusher, flusher), 1.0);
}

TEST(BisectBugKeyTest, ThePathOfTheOneStuckTaskWeighsMoreThanTheWaitersShare) {
  BugKey bio = key_of_run("bisect/reserves-hang-bio-alloc");
  EXPECT_DOUBLE_EQ(bio.weights.at("__sock_xmit"), 1.0);
  EXPECT_DOUBLE_EQ(bio.weights.at("mempool_alloc"), 0.5);  // in the hogs' and kswapd's stacks
  EXPECT_FALSE(bio.weights.contains("schedule"));
  EXPECT_FALSE(bio.weights.contains("worker_thread"));
  // The allocator's entry points are primitives (harness/console/frame_rules.cpp: mm/), shared
  // by every task in reclaim; the stuck sender's own path is what tells this bug apart.
  EXPECT_FALSE(bio.weights.contains("__alloc_pages_slowpath"));
  EXPECT_DOUBLE_EQ(bio.weights.at("nbd_queue_rq"), 1.0);
}

TEST(BisectBugKeyTest, WithoutStacksTheSignatureDecides) {
  reports::Finding crash;
  crash.kind = "crash";
  BugKey a = bug_key_of(crash, "crash: BUG: kernel NULL pointer dereference in nbd_queue_rq");
  BugKey b = a;
  EXPECT_TRUE(same_bug(a, b));
  b.signature = "crash: BUG: kernel NULL pointer dereference in tcp_sendmsg";
  EXPECT_FALSE(same_bug(a, b));
}

TEST(BisectBugKeyTest, FindingsOfDifferentKindsNeverMatch) {
  reports::Finding hang;
  hang.kind = "hang";
  hang.frames = {"nbd_queue_rq", "__sock_xmit"};
  reports::Finding crash = hang;
  crash.kind = "crash";
  EXPECT_DOUBLE_EQ(similarity(bug_key_of(hang, "h"), bug_key_of(crash, "c")), 0.0);
}

TEST(BisectBugKeyTest, OneSignatureIsOneBugWhateverTheWaitersShow) {
  // Titles name the cause, so the reserves bug has one signature; its runs' waiters differ
  // (the second bench's compare split one run off by the waiters' incidental allocators).
  reports::Finding a;
  a.kind = "hang";
  a.frames = {"___slab_alloc", "__vmalloc_node_range", "copy_process"};
  reports::Finding b = a;
  b.frames = {"__lock_sock", "lock_sock_nested", "tcp_recvmsg"};
  const std::string sig = "hang|nbd: request transmit stuck|page allocation";
  EXPECT_TRUE(same_bug(bug_key_of(a, sig), bug_key_of(b, sig)));
  EXPECT_FALSE(same_bug(bug_key_of(a, sig), bug_key_of(b, "hang|INFO: task hung in|refill_work")));
}

TEST(BisectBugKeyTest, GroupsKeysByBug) {
  std::vector<BugKey> keys = {key_of_run("bisect/reserves-hang-bio-alloc"),
                              key_of_run("bisect/virtio-refill-hang"),
                              key_of_run("bisect/reserves-hang-create-worker")};
  auto groups = group_bugs(keys);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<size_t>{0, 2}));
  EXPECT_EQ(groups[1], (std::vector<size_t>{1}));
}

}  // namespace
}  // namespace wedge::bisect
