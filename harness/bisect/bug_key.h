// Which bug a finding is, in a form that stays the same across runs of one bug even when its
// title changes: the distinctive functions of the finding's task stacks, each weighted by how
// few of the stacks share it, compared by weighted Jaccard similarity.
//
//   BugKey a = bug_key_of(run1_finding, run1_signature);  // titled by bio_alloc_bioset
//   BugKey b = bug_key_of(run2_finding, run2_signature);  // titled by create_worker
//   same_bug(a, b);  // true: both have kblockd stuck in __sock_xmit <- nbd_queue_rq
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reports/report.h"

namespace wedge::bisect {

// Two findings whose keys are at least this similar are one bug. On issue 18's recorded-style
// dumps (tests/testdata/bisect): the regression's bio_alloc_bioset and create_worker runs are
// 0.74 alike; either is 0.25 or less alike to the virtio-net refill deadlock that shares their
// waiters, and 0.08 or less to the recorded loopback livelock.
inline constexpr double kSameBugSimilarity = 0.5;

struct BugKey {
  std::string kind;       // "hang", "crash", ...: findings of different kinds never match
  std::string signature;  // the fallback when a finding has no stack
  // Distinctive function -> weight: 1 / (number of the finding's stacks holding it). A
  // function every waiter passes through (mempool_alloc) weighs little; the one task's own
  // path that explains the hang (__sock_xmit in kblockd) weighs 1.
  std::map<std::string, double> weights;
};

// The key of a finding from report.json (reports::read_run gives finding and signature).
// Stack groups are used when there are any, else the finding's own frames.
[[nodiscard]] BugKey bug_key_of(const reports::Finding& finding, const std::string& signature);

// True for frames that say nothing about which bug it is: reporting machinery and primitives
// (console/blame.h), the scheduler and wait primitives, thread and workqueue plumbing, syscall
// and interrupt entry, and the ways tasks enter reclaim (page faults, kswapd).
[[nodiscard]] bool is_generic_frame(const std::string& function);

// 1 for equal signatures; else weighted Jaccard similarity in [0, 1] of the stacks: 0 for
// different kinds, and 0 with no stack on either side.
[[nodiscard]] double similarity(const BugKey& a, const BugKey& b);

[[nodiscard]] inline bool same_bug(const BugKey& a, const BugKey& b) {
  return similarity(a, b) >= kSameBugSimilarity;
}

// The heaviest functions of a key, heaviest first then by name, for people: "__sock_xmit,
// nbd_queue_rq, tcp_sendmsg".
[[nodiscard]] std::vector<std::string> key_functions(const BugKey& key, size_t at_most);

// Groups keys into bugs: each key joins the first group whose first key it matches, else
// starts a new one. Returns, per group, the indexes of its keys, in first-seen order.
[[nodiscard]] std::vector<std::vector<size_t>> group_bugs(const std::vector<BugKey>& keys);

}  // namespace wedge::bisect
