// Statistics for probabilistic failures: the Wilson 95% interval of a failure rate, Fisher's
// exact test on two rates, and the per-cell compare classification built on it.
//
//   run::Interval ci = run::wilson_interval(3, 10);          // {0.108, 0.603}
//   double p = run::fisher_exact_two_sided(0, 10, 10, 10);   // 1.08e-05
//   run::classify_change(0, 4, 4, 4).change;                  // Change::kRegressed (p 0.029)
#pragma once

#include <string>

namespace wedge::run {

struct Interval {
  double low = 0;
  double high = 1;
};

// Wilson score interval for k failures in n runs at 95% (z = 1.959964); n = 0 gives [0, 1].
[[nodiscard]] Interval wilson_interval(int failures, int runs);

// Two-sided Fisher exact test of a failures out of n against b failures out of m: the sum of
// the probabilities of every 2x2 table with the same margins that is no more likely than the
// observed one.
[[nodiscard]] double fisher_exact_two_sided(int a, int n, int b, int m);

enum class Change { kNoChange, kRegressed, kFixed, kInconclusive };
[[nodiscard]] const char* to_string(Change change);

struct Comparison {
  Change change = Change::kNoChange;
  double p_value = 1;
};

// Base a/n failures, candidate b/m. p < 0.05: regressed (candidate fails more) or fixed.
// 0.05 <= p < 0.5: inconclusive (a difference is hinted but not shown: repeat more).
// p >= 0.5: no change. Either side without a counted run (all infra errors): inconclusive.
[[nodiscard]] Comparison classify_change(int a, int n, int b, int m);

inline constexpr double kSignificance = 0.05;
inline constexpr double kInconclusiveBelow = 0.5;

}  // namespace wedge::run
