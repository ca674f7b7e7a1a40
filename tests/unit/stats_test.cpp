// Wilson intervals and Fisher's exact test against published values, and the compare rules.
#include "harness/run/stats.h"

#include <gtest/gtest.h>

#include "harness/run/compare.h"

namespace wedge::run {
namespace {

TEST(StatsTest, WilsonIntervalKnownValues) {
  // Newcombe (1998), table I: 81/263 -> 0.2553..0.3662; 15/148 -> 0.0624..0.1605.
  Interval a = wilson_interval(81, 263);
  EXPECT_NEAR(a.low, 0.2553, 5e-5);
  EXPECT_NEAR(a.high, 0.3662, 5e-5);
  Interval b = wilson_interval(15, 148);
  EXPECT_NEAR(b.low, 0.0624, 5e-5);
  EXPECT_NEAR(b.high, 0.1605, 5e-5);
  Interval c = wilson_interval(3, 10);
  EXPECT_NEAR(c.low, 0.1078, 5e-5);
  EXPECT_NEAR(c.high, 0.6032, 5e-5);
  Interval none = wilson_interval(0, 4);
  EXPECT_EQ(none.low, 0);
  EXPECT_NEAR(none.high, 0.4899, 5e-5);
  Interval all = wilson_interval(4, 4);
  EXPECT_NEAR(all.low, 0.5101, 5e-5);
  EXPECT_NEAR(all.high, 1, 1e-12);
  Interval empty = wilson_interval(0, 0);
  EXPECT_EQ(empty.low, 0);
  EXPECT_EQ(empty.high, 1);
}

TEST(StatsTest, FisherExactKnownValues) {
  // Fisher's tea tasting: 3/4 vs 1/4 -> p = 0.4857 (two-sided).
  EXPECT_NEAR(fisher_exact_two_sided(3, 4, 1, 4), 34.0 / 70, 1e-9);
  EXPECT_NEAR(fisher_exact_two_sided(0, 4, 4, 4), 2.0 / 70, 1e-9);
  EXPECT_NEAR(fisher_exact_two_sided(0, 10, 10, 10), 2.0 / 184756, 1e-12);
  EXPECT_NEAR(fisher_exact_two_sided(1, 4, 2, 4), 1.0, 1e-9);
  EXPECT_NEAR(fisher_exact_two_sided(0, 2, 2, 2), 1.0 / 3, 1e-9);
  // R: fisher.test(matrix(c(1,9,11,3),2))$p.value = 0.002759
  EXPECT_NEAR(fisher_exact_two_sided(1, 10, 11, 14), 0.002759, 1e-6);
  EXPECT_NEAR(fisher_exact_two_sided(0, 5, 0, 5), 1.0, 1e-12);
}

TEST(StatsTest, ClassifiesCells) {
  EXPECT_EQ(classify_change(0, 4, 4, 4).change, Change::kRegressed);
  EXPECT_NEAR(classify_change(0, 4, 4, 4).p_value, 0.028571, 1e-6);
  EXPECT_EQ(classify_change(4, 4, 0, 4).change, Change::kFixed);
  EXPECT_EQ(classify_change(0, 2, 0, 2).change, Change::kNoChange);
  EXPECT_EQ(classify_change(0, 3, 3, 3).change, Change::kInconclusive);  // p = 0.1
  EXPECT_EQ(classify_change(1, 4, 2, 4).change, Change::kNoChange);
  EXPECT_EQ(classify_change(0, 0, 1, 2).change, Change::kInconclusive);
}

TEST(StatsTest, CompareSummariesPairsCellsAndExitsOnRegression) {
  reports::Summary base, candidate;
  for (int i = 0; i < 2; ++i) {
    reports::CellSummary c;
    c.index = i;
    c.id = "cell" + std::to_string(i);
    c.counted = 4;
    base.cells.push_back(c);
    c.failures = i == 1 ? 4 : 0;
    candidate.cells.push_back(c);
  }
  auto rows = compare_summaries(base, candidate);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].result.change, Change::kNoChange);
  EXPECT_EQ(rows[1].result.change, Change::kRegressed);
  EXPECT_TRUE(any_regressed(rows));
  CompareSides sides{{{"kernel", "a"}}, {{"kernel", "b"}}};
  auto json = compare_json(rows, sides);
  EXPECT_EQ(json["cells"][1]["change"], "regressed");
  EXPECT_EQ(json["base_kernel"], "a");
  EXPECT_EQ(json["candidate_kernel"], "b");
  EXPECT_NE(compare_text(rows, sides).find("cell1"), std::string::npos);
}

}  // namespace
}  // namespace wedge::run
