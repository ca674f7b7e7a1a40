// Wilson interval and Fisher's exact test, computed with log-gamma so large counts stay exact
// enough (relative error ~1e-12) without big integers.
#include "harness/run/stats.h"

#include <algorithm>
#include <cmath>

namespace wedge::run {

namespace {

double log_choose(int n, int k) {
  return std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0);
}

}  // namespace

Interval wilson_interval(int failures, int runs) {
  if (runs <= 0) return {0, 1};
  const double z = 1.959963984540054;
  const double n = runs;
  const double p = static_cast<double>(failures) / n;
  const double z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double fisher_exact_two_sided(int a, int n, int b, int m) {
  // Table [[a, n-a], [b, m-b]]; with margins fixed, x = the top-left cell ranges over
  // [max(0, k-m), min(k, n)] where k = a + b, and P(x) is hypergeometric.
  const int k = a + b;
  const int total = n + m;
  auto log_p = [&](int x) {
    return log_choose(n, x) + log_choose(m, k - x) - log_choose(total, k);
  };
  const double observed = log_p(a);
  double p = 0;
  for (int x = std::max(0, k - m); x <= std::min(k, n); ++x) {
    double lp = log_p(x);
    if (lp <= observed + 1e-7) p += std::exp(lp);  // tolerance: ties that differ by rounding
  }
  return std::min(1.0, p);
}

const char* to_string(Change change) {
  switch (change) {
    case Change::kNoChange:
      return "no change";
    case Change::kRegressed:
      return "regressed";
    case Change::kFixed:
      return "fixed";
    case Change::kInconclusive:
      return "inconclusive";
  }
  return "inconclusive";
}

Comparison classify_change(int a, int n, int b, int m) {
  if (n <= 0 || m <= 0) return {Change::kInconclusive, 1};
  double p = fisher_exact_two_sided(a, n, b, m);
  double base_rate = static_cast<double>(a) / n;
  double candidate_rate = static_cast<double>(b) / m;
  if (p < kSignificance) {
    return {candidate_rate > base_rate ? Change::kRegressed : Change::kFixed, p};
  }
  if (p < kInconclusiveBelow) return {Change::kInconclusive, p};
  return {Change::kNoChange, p};
}

}  // namespace wedge::run
