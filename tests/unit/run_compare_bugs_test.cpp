// compare_bugs.h on runs recorded here (tests/testdata/compare: Debian's linux-source-6.1 built
// with --builtin, nbd-swap-hog; the candidate drops NBD's memory reserves). Both sides failed
// every run, so the cell says "no change"; per bug, the reserves deadlock regressed although
// its three runs carry three titles, and the stock kernel's refill_work deadlock did not
// (tests/testdata/compare: one run per shape).
#include <gtest/gtest.h>

#include "harness/run/compare_bugs.h"
#include "reports/run_reader.h"

namespace wedge::run {
namespace {

FailedRun recorded(const std::string& name) {
  auto rec = reports::read_run(std::string(WEDGE_TESTDATA_DIR) + "/compare/" + name);
  EXPECT_TRUE(rec.ok()) << name << ": " << rec.error().message();
  if (!rec.ok() || rec->report.findings.empty()) return {};
  return {rec->report.findings.front(), rec->signatures.front()};
}

// The bench's own numbers (8 counted runs a side): base 7 refill_work hangs (and a boot
// failure); candidate 3 titled bio_alloc_bioset, 4 "nbd: server not answering requests", 1
// __sock_xmit. The first two titles are one stack shape of the reserves bug (the same key);
// the __sock_xmit run, where kblockd's own stack was caught, is a second shape (0.33 alike).
TEST(CompareBugs, TheReservesBugRegressesUnderItsTitlesWhileTheCellSaysNoChange) {
  const FailedRun refill = recorded("stock-refill-1");
  const FailedRun bio_alloc = recorded("reserves-bio-alloc");
  const FailedRun silent = recorded("reserves-server-silent");
  const FailedRun sock_xmit = recorded("reserves-sock-xmit");
  ASSERT_NE(bio_alloc.finding.title, silent.finding.title);

  std::vector<FailedRun> base(7, refill);
  std::vector<FailedRun> candidate = {bio_alloc, bio_alloc, bio_alloc, silent,
                                      silent,    silent,    silent,    sock_xmit};
  EXPECT_EQ(classify_change(8, 8, 8, 8).change, Change::kNoChange);  // the cell alone
  auto rows = compare_bugs(base, 8, candidate, 8);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].title, "INFO: task hung in refill_work");
  EXPECT_EQ(rows[0].base_failures, 7);
  EXPECT_EQ(rows[0].candidate_failures, 0);
  EXPECT_EQ(rows[0].result.change, Change::kFixed);
  EXPECT_EQ(rows[1].title, "INFO: task hung in bio_alloc_bioset");
  EXPECT_EQ(rows[1].base_failures, 0);
  EXPECT_EQ(rows[1].candidate_failures, 7) << "bio_alloc_bioset and server-silent runs split";
  EXPECT_EQ(rows[1].result.change, Change::kRegressed);
  EXPECT_LT(rows[1].result.p_value, 0.01);  // Fisher: 0 of 8 vs 7 of 8 is 0.0014
  EXPECT_EQ(rows[2].candidate_failures, 1);
  EXPECT_NE(rows[2].result.change, Change::kRegressed);
}

}  // namespace
}  // namespace wedge::run
