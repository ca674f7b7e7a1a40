// Implementation of sprt.h: Wald's SPRT for a Bernoulli failure rate.
#include "harness/bisect/sprt.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace wedge::bisect {

SprtParams sprt_params_for(double p_bad, double alpha, double beta) {
  SprtParams p;
  p.p_bad = std::min(p_bad, kMaxBadRate);
  p.p_good = std::max(kMinGoodRate, p.p_bad / kGoodRateDivisor);
  p.alpha = alpha;
  p.beta = beta;
  return p;
}

double upper_bound(const SprtParams& p) { return std::log((1 - p.beta) / p.alpha); }

double lower_bound(const SprtParams& p) { return std::log(p.beta / (1 - p.alpha)); }

double log_likelihood_ratio(const SprtParams& p, int runs, int failures) {
  int passes = runs - failures;
  return failures * std::log(p.p_bad / p.p_good) +
         passes * std::log((1 - p.p_bad) / (1 - p.p_good));
}

SprtVerdict sprt_decide(const SprtParams& p, int runs, int failures, int max_runs) {
  SprtVerdict v;
  v.llr = log_likelihood_ratio(p, runs, failures);
  double upper = upper_bound(p);
  double lower = lower_bound(p);
  std::string counts = fmt::format("{} of {} runs with BAD's bug", failures, runs);
  if (v.llr >= upper) {
    v.decision = SprtDecision::kBad;
    v.why = fmt::format("bad: LLR {:.2f} >= {:.2f} ({})", v.llr, upper, counts);
  } else if (v.llr <= lower) {
    v.decision = SprtDecision::kGood;
    v.why = fmt::format("good: LLR {:.2f} <= {:.2f} ({})", v.llr, lower, counts);
  } else if (runs >= max_runs) {
    v.at_max_runs = true;
    bool closer_to_bad = upper - v.llr < v.llr - lower;
    v.decision = closer_to_bad ? SprtDecision::kBad : SprtDecision::kGood;
    v.why =
        fmt::format("undecided at max runs ({}): LLR {:.2f} in ({:.2f}, {:.2f}), closer to {} ({})",
                    max_runs, v.llr, lower, upper, closer_to_bad ? "bad" : "good", counts);
  } else {
    v.why =
        fmt::format("continue: LLR {:.2f} in ({:.2f}, {:.2f}) ({})", v.llr, lower, upper, counts);
  }
  return v;
}

const char* to_string(SprtDecision decision) {
  switch (decision) {
    case SprtDecision::kContinue:
      return "continue";
    case SprtDecision::kGood:
      return "good";
    case SprtDecision::kBad:
      return "bad";
  }
  return "continue";
}

}  // namespace wedge::bisect
