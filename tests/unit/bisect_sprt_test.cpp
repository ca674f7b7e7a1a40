// Wald's SPRT of wedge bisect (harness/bisect/sprt.h): bounds, decisions and the max-runs rule.
#include <gtest/gtest.h>

#include <cmath>

#include "harness/bisect/sprt.h"

namespace wedge::bisect {
namespace {

TEST(BisectSprtTest, GoodRateIsATenthOfTheBadRateButAtLeastTwoPercent) {
  EXPECT_DOUBLE_EQ(sprt_params_for(0.5, 0.05, 0.05).p_good, 0.05);
  EXPECT_DOUBLE_EQ(sprt_params_for(1.0 / 6, 0.05, 0.05).p_good, 0.02);
  // A BAD that failed every run is clamped: one pass must not prove a commit good.
  EXPECT_DOUBLE_EQ(sprt_params_for(1.0, 0.05, 0.05).p_bad, kMaxBadRate);
}

TEST(BisectSprtTest, WaldBoundsFollowAlphaAndBeta) {
  SprtParams p = sprt_params_for(0.5, 0.05, 0.10);
  EXPECT_NEAR(upper_bound(p), std::log(0.90 / 0.05), 1e-12);
  EXPECT_NEAR(lower_bound(p), std::log(0.10 / 0.95), 1e-12);
}

TEST(BisectSprtTest, LogLikelihoodRatioSumsFailuresAndPasses) {
  SprtParams p = sprt_params_for(0.5, 0.05, 0.05);
  EXPECT_NEAR(log_likelihood_ratio(p, 3, 1), std::log(0.5 / 0.05) + 2 * std::log(0.5 / 0.95),
              1e-12);
}

TEST(BisectSprtTest, TwoFailuresOfAOneInThreeBugSayBad) {
  SprtParams p = sprt_params_for(1.0 / 3, 0.05, 0.05);  // p_good 0.0333
  EXPECT_EQ(sprt_decide(p, 1, 1, 30).decision, SprtDecision::kContinue);
  SprtVerdict v = sprt_decide(p, 2, 2, 30);
  EXPECT_EQ(v.decision, SprtDecision::kBad);
  EXPECT_FALSE(v.at_max_runs);
  EXPECT_NE(v.why.find("2 of 2 runs"), std::string::npos) << v.why;
}

TEST(BisectSprtTest, EightPassesOfAOneInThreeBugSayGood) {
  SprtParams p = sprt_params_for(1.0 / 3, 0.05, 0.05);
  EXPECT_EQ(sprt_decide(p, 7, 0, 30).decision, SprtDecision::kContinue);
  EXPECT_EQ(sprt_decide(p, 8, 0, 30).decision, SprtDecision::kGood);
}

TEST(BisectSprtTest, AtMaxRunsTheCloserBoundDecidesAndSaysSo) {
  SprtParams p = sprt_params_for(1.0 / 3, 0.05, 0.05);
  // 1 failure in 4 runs: LLR = ln(10) + 3 ln(0.667/0.967) = 1.19, closer to the bad bound 2.94.
  SprtVerdict v = sprt_decide(p, 4, 1, 4);
  EXPECT_EQ(v.decision, SprtDecision::kBad);
  EXPECT_TRUE(v.at_max_runs);
  EXPECT_NE(v.why.find("undecided at max runs (4)"), std::string::npos) << v.why;
  SprtVerdict g = sprt_decide(p, 5, 0, 5);  // LLR -1.86: closer to the good bound
  EXPECT_EQ(g.decision, SprtDecision::kGood);
  EXPECT_TRUE(g.at_max_runs);
}

}  // namespace
}  // namespace wedge::bisect
