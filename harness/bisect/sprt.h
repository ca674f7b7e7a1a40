// Wald's sequential probability ratio test on a failure rate: is a commit's rate of BAD's bug
// p_bad (the commit is bad) or p_good (it is good)? Pure functions over counts.
//
//   SprtParams p = sprt_params_for(/*p_bad=*/1.0 / 3, /*alpha=*/0.05, /*beta=*/0.05);
//   SprtVerdict v = sprt_decide(p, /*runs=*/8, /*failures=*/0, /*max_runs=*/30);  // kGood
#pragma once

#include <string>

namespace wedge::bisect {

// The two hypotheses and the error rates the test keeps.
//   H0: p = p_good (the commit is good), H1: p = p_bad (the commit is bad).
//   alpha: P(say bad | good), beta: P(say good | bad).
struct SprtParams {
  double p_good = 0.02;
  double p_bad = 0.5;
  double alpha = 0.05;
  double beta = 0.05;
};

// The measured BAD rate is clamped to this range: a rate of 1 would make one passing run prove
// a commit good (log(1 - p_bad) = -inf), and a flaky bug seen in 6 runs is no certainty.
inline constexpr double kMaxBadRate = 0.95;
// p_good = max(kMinGoodRate, p_bad / kGoodRateDivisor): the rate of BAD's bug that still counts
// as good. Not zero, so that one stray failure on a good commit does not decide it bad at once.
inline constexpr double kMinGoodRate = 0.02;
inline constexpr double kGoodRateDivisor = 10.0;

// The parameters for a BAD rate measured as `p_bad` (clamped to kMaxBadRate).
// sprt_params_for(0.5, 0.05, 0.05) == {p_good 0.05, p_bad 0.5, alpha 0.05, beta 0.05}
[[nodiscard]] SprtParams sprt_params_for(double p_bad, double alpha, double beta);

// Wald's bounds: the test says bad when the log-likelihood ratio reaches upper_bound
// (ln((1 - beta) / alpha)), good when it falls to lower_bound (ln(beta / (1 - alpha))).
[[nodiscard]] double upper_bound(const SprtParams& p);
[[nodiscard]] double lower_bound(const SprtParams& p);

// ln(L(H1) / L(H0)) after `runs` Bernoulli trials with `failures` failures.
// log_likelihood_ratio({0.02, 0.5, ..}, 1, 1) == ln(0.5 / 0.02)
[[nodiscard]] double log_likelihood_ratio(const SprtParams& p, int runs, int failures);

enum class SprtDecision { kContinue, kGood, kBad };

struct SprtVerdict {
  SprtDecision decision = SprtDecision::kContinue;
  double llr = 0;
  bool at_max_runs = false;  // decided by the closer bound because runs reached max_runs
  std::string why;           // "LLR 3.22 >= 2.94 after 2 of 2 runs failed"
};

// The decision after `runs` counted runs, `failures` of them with BAD's bug. At max_runs it
// decides by the closer bound and says "undecided at max runs" in why.
[[nodiscard]] SprtVerdict sprt_decide(const SprtParams& p, int runs, int failures, int max_runs);

[[nodiscard]] const char* to_string(SprtDecision decision);

}  // namespace wedge::bisect
