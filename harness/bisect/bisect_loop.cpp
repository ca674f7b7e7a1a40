// Implementation of bisect_loop.h.
#include "harness/bisect/bisect_loop.h"

#include <fmt/format.h>

#include <algorithm>

namespace wedge::bisect {

namespace {

std::string short_hash(const std::string& commit) { return commit.substr(0, 12); }

// Why the loop stopped early: refused (BAD unusable) or infra.
struct Stop {
  BisectEnd end;
  std::string message;
};

class BisectLoop {
 public:
  BisectLoop(BisectRecord& rec, StepRunner& runner, GitBisect& git, const BisectHooks& hooks,
             std::filesystem::path out)
      : rec_(rec), runner_(runner), git_(git), hooks_(hooks), out_(std::move(out)) {}

  BisectEnd run() {
    auto stopped = run_all();
    if (!stopped) return finish(BisectEnd::kInfraError, "infra_error", stopped.error().message());
    return stopped->end;
  }

 private:
  BisectEnd finish(BisectEnd end, const std::string& state, const std::string& message) {
    rec_.result.state = state;
    rec_.result.message = message;
    hooks_.progress(fmt::format("bisect: {}", message));
    (void)hooks_.save(rec_);  // a failed save on the way out changes nothing more
    return end;
  }

  Result<Stop> run_all() {
    NextStep next;
    if (!rec_.git_log.empty()) {
      hooks_.progress("bisect: resuming: replaying the saved git bisect log");
      // One resumes after fixing what stopped the bisect (a full disk, a dead libvirtd): each
      // undecided step gets a fresh budget of infra errors. The earlier runs stay recorded.
      for (StepRecord& step : rec_.steps) {
        if (step.decision == StepDecision::kPending) step.infra_errors = 0;
      }
      WEDGE_TRY(next, git_.replay(rec_.git_log).context("restoring git bisect state"));
    } else {
      WEDGE_CHECK(git_.start());
      WEDGE_TRY(rec_.git_log, git_.log());
      WEDGE_CHECK(hooks_.save(rec_));
    }
    WEDGE_TRY(std::optional<Stop> refused, measure_bad());
    if (refused) {
      finish(refused->end, refused->end == BisectEnd::kRefused ? "refused" : "infra_error",
             refused->message);
      return *refused;
    }
    if (next.kind == NextStep::Kind::kWaiting) {
      WEDGE_TRY(next, mark(rec_.settings.bad, Mark::kBad));
      WEDGE_TRY(next, mark(rec_.settings.good, Mark::kGood));
    }
    while (next.kind == NextStep::Kind::kTest) {
      StepRecord& step = step_for(next.commit, StepRole::kBisect);
      WEDGE_TRY(std::optional<Stop> stop, decide(step));
      if (stop) {
        finish(stop->end, "infra_error", stop->message);
        return *stop;
      }
      Mark m = step.decision == StepDecision::kBad    ? Mark::kBad
               : step.decision == StepDecision::kGood ? Mark::kGood
                                                      : Mark::kSkip;
      hooks_.progress(fmt::format("step {} ({}): {}: {}", short_hash(step.commit), step.subject,
                                  to_string(m), step.why));
      WEDGE_TRY(next, mark(step.commit, m));
    }
    if (next.kind == NextStep::Kind::kFound) {
      rec_.result.first_bad = next.commit;
      WEDGE_TRY(rec_.result.first_bad_subject, git_.subject(next.commit));
      BisectCost c = cost_of(rec_);
      std::string message =
          fmt::format("first bad commit: {} ({}); {} builds, {} runs", next.commit,
                      rec_.result.first_bad_subject, c.builds, c.runs);
      return Stop{finish(BisectEnd::kFound, "found", message), message};
    }
    if (next.kind == NextStep::Kind::kOnlySkipped) {
      rec_.result.candidates = next.candidates;
      std::string message =
          fmt::format("only skipped commits are left: the first bad commit is one of {} commits",
                      next.candidates.size());
      return Stop{finish(BisectEnd::kOnlySkipped, "only_skipped", message), message};
    }
    return make_error("git bisect stopped waiting for a good or bad commit");
  }

  Result<NextStep> mark(const std::string& commit, Mark m) {
    WEDGE_TRY(NextStep next, git_.mark(commit, m));
    WEDGE_TRY(rec_.git_log, git_.log());
    WEDGE_CHECK(hooks_.save(rec_));
    return next;
  }

  StepRecord& step_for(const std::string& commit, StepRole role) {
    for (auto& s : rec_.steps) {
      if (s.commit == commit && s.role == role) return s;
    }
    StepRecord s;
    s.commit = commit;
    s.role = role;
    if (auto subject = git_.subject(commit)) s.subject = *subject;
    rec_.steps.push_back(std::move(s));
    return rec_.steps.back();
  }

  std::filesystem::path step_dir(const StepRecord& step) const {
    return step.role == StepRole::kBadReference ? "bad-" + short_hash(step.commit)
                                                : short_hash(step.commit);
  }

  // Builds the step's commit once. False when it does not build.
  Result<bool> build(StepRecord& step) {
    if (!step.build) {
      hooks_.progress(fmt::format("step {} ({}): building", short_hash(step.commit), step.subject));
      WEDGE_TRY(BuildOutcome built, runner_.build(step.commit, out_ / step_dir(step))
                                        .context("building " + short_hash(step.commit)));
      step.build = built;
      WEDGE_CHECK(hooks_.save(rec_));
      hooks_.progress(fmt::format("step {}: {} in {:.0f} s", short_hash(step.commit),
                                  built.built ? "built" : "build failed", built.seconds));
    }
    return step.build->built;
  }

  // One more run of the step's kernel, recorded (not yet classified). An error is infra.
  Result<RunRecord*> run_once(StepRecord& step) {
    std::filesystem::path dir = step_dir(step) / fmt::format("r{}", step.runs.size() + 1);
    WEDGE_TRY(RunOutcome o, runner_.run(step.build->kernel, out_ / dir)
                                .context(fmt::format("running {}", dir.string())));
    RunRecord r;
    r.dir = dir.string();
    r.end = o.end;
    r.verdict = o.verdict;
    r.reason = o.reason;
    r.seconds = o.seconds;
    r.counts_as = "none";
    for (size_t i = 0; i < o.findings.size(); ++i) {
      const reports::Finding& f = o.findings[i];
      std::string signature = i < o.signatures.size() ? o.signatures[i] : f.kind + ": " + f.title;
      FindingRecord fr;
      fr.kind = f.kind;
      fr.title = f.title;
      fr.signature = signature;
      fr.key = bug_key_of(f, signature);
      fr.stacks = f.stacks;
      r.findings.push_back(std::move(fr));
    }
    if (r.end == RunEnd::kInfraError) ++step.infra_errors;
    step.runs.push_back(std::move(r));
    return &step.runs.back();
  }

  std::optional<Stop> too_many_infra_errors(const StepRecord& step) const {
    if (step.infra_errors <= rec_.settings.max_infra_errors) return std::nullopt;
    auto last_infra = std::find_if(step.runs.rbegin(), step.runs.rend(),
                                   [](const RunRecord& r) { return r.end == RunEnd::kInfraError; });
    return Stop{BisectEnd::kInfraError,
                fmt::format("{} infra errors on {}; the last: {}; no commit was marked for it",
                            step.infra_errors, short_hash(step.commit),
                            last_infra == step.runs.rend() ? "" : last_infra->reason)};
  }

  // BAD's most frequent bug among its runs so far: the first finding of the group and the
  // number of runs that met it.
  struct FrequentBug {
    const FindingRecord* first = nullptr;
    int runs = 0;
  };
  static FrequentBug most_frequent_bug(const StepRecord& step) {
    std::vector<BugKey> keys;
    std::vector<std::pair<size_t, const FindingRecord*>> where;  // run index, finding
    for (size_t i = 0; i < step.runs.size(); ++i) {
      if (step.runs[i].end != RunEnd::kFinding) continue;
      for (const auto& f : step.runs[i].findings) {
        keys.push_back(f.key);
        where.emplace_back(i, &f);
      }
    }
    FrequentBug best;
    for (const auto& group : group_bugs(keys)) {
      std::vector<size_t> runs;
      for (size_t k : group) runs.push_back(where[k].first);
      runs.erase(std::unique(runs.begin(), runs.end()), runs.end());
      if (static_cast<int>(runs.size()) > best.runs) {
        best = {where[group.front()].second, static_cast<int>(runs.size())};
      }
    }
    return best;
  }

  Result<std::optional<Stop>> measure_bad() {
    StepRecord& step = step_for(rec_.settings.bad, StepRole::kBadReference);
    if (step.decision != StepDecision::kPending && rec_.reference) return std::optional<Stop>();
    const BisectSettings& s = rec_.settings;
    WEDGE_CHECK(git_.checkout(step.commit));
    WEDGE_TRY(bool built, build(step));
    if (!built) {
      return std::optional<Stop>(
          Stop{BisectEnd::kRefused, fmt::format("BAD {} does not build, nothing to bisect: {}",
                                                short_hash(step.commit), step.build->log_tail)});
    }
    auto tested = [&] {
      return static_cast<int>(std::count_if(step.runs.begin(), step.runs.end(), [](const auto& r) {
        return r.end == RunEnd::kPass || r.end == RunEnd::kFinding;
      }));
    };
    while (tested() < s.bad_runs) {
      if (most_frequent_bug(step).runs >= s.bad_failures) break;
      WEDGE_TRY(RunRecord * r, run_once(step));
      WEDGE_CHECK(hooks_.save(rec_));
      hooks_.progress(fmt::format("BAD {} run {}: {}{}", short_hash(step.commit), step.runs.size(),
                                  r->verdict.empty() ? to_string(r->end) : r->verdict,
                                  r->findings.empty() ? "" : " - " + r->findings.front().title));
      if (auto stop = too_many_infra_errors(step)) return stop;
      if (r->end == RunEnd::kBootFailure) {
        return std::optional<Stop>(
            Stop{BisectEnd::kRefused, fmt::format("BAD {} does not boot, nothing to bisect: {}",
                                                  short_hash(step.commit), r->reason)});
      }
    }
    FrequentBug best = most_frequent_bug(step);
    if (best.first == nullptr) {
      return std::optional<Stop>(
          Stop{BisectEnd::kRefused,
               fmt::format("BAD {} did not fail in {} runs: there is no bug to bisect (a rarer "
                           "bug needs more --bad-runs)",
                           short_hash(step.commit), tested())});
    }
    // The reference is the first finding of BAD's most frequent bug.
    const FindingRecord& first = *best.first;
    ReferenceBug ref{first.title, first.signature, first.key, first.stacks, 0, 0, 0};
    for (auto& r : step.runs) {
      std::string c = classify_run(r, ref.key);
      if (c == "bad" || c == "pass") ++ref.runs;
      if (c == "bad") ++ref.failures;
    }
    ref.p_bad = static_cast<double>(ref.failures) / ref.runs;
    rec_.sprt = sprt_params_for(ref.p_bad, s.alpha, s.beta);
    step.counted = ref.runs;
    step.failures = ref.failures;
    step.decision = StepDecision::kBad;
    step.why = fmt::format(
        "BAD's bug ({}) in {} of {} runs: p_bad {:.3f}, tested against p_good {:.3f} (alpha "
        "{}, beta {})",
        ref.title, ref.failures, ref.runs, rec_.sprt->p_bad, rec_.sprt->p_good, s.alpha, s.beta);
    rec_.reference = std::move(ref);
    WEDGE_CHECK(hooks_.save(rec_));
    hooks_.progress(fmt::format("BAD {}: {}", short_hash(step.commit), step.why));
    return std::optional<Stop>();
  }

  // Runs the step until it is decided; a Stop when it met too many infra errors.
  Result<std::optional<Stop>> decide(StepRecord& step) {
    if (step.decision != StepDecision::kPending) return std::optional<Stop>();
    WEDGE_TRY(bool built, build(step));
    if (!built) {
      step.decision = StepDecision::kSkip;
      step.why = "does not build: " + step.build->log_tail;
      WEDGE_CHECK(hooks_.save(rec_));
      return std::optional<Stop>();
    }
    const SprtParams& p = *rec_.sprt;
    int max_runs = rec_.settings.max_runs_per_step;
    while (true) {
      int others =
          static_cast<int>(std::count_if(step.runs.begin(), step.runs.end(),
                                         [](const auto& r) { return r.counts_as == "other"; }));
      // Runs that met another bug use up the budget too, so that a step always ends.
      SprtVerdict v = sprt_decide(p, step.counted, step.failures, std::max(1, max_runs - others));
      step.llr = v.llr;
      if (v.decision != SprtDecision::kContinue) {
        step.decision = v.decision == SprtDecision::kBad ? StepDecision::kBad : StepDecision::kGood;
        step.at_max_runs = v.at_max_runs;
        step.why = v.why;
        WEDGE_CHECK(hooks_.save(rec_));
        return std::optional<Stop>();
      }
      WEDGE_TRY(RunRecord * r, run_once(step));
      std::string counts = classify_run(*r, rec_.reference->key);
      if (counts == "bad" || counts == "pass") ++step.counted;
      if (counts == "bad") ++step.failures;
      step.llr = log_likelihood_ratio(p, step.counted, step.failures);
      WEDGE_CHECK(hooks_.save(rec_));
      hooks_.progress(
          fmt::format("step {} run {}: {} ({}){}; BAD's bug in {} of {} counted runs, LLR {:.2f}",
                      short_hash(step.commit), step.runs.size(),
                      r->verdict.empty() ? to_string(r->end) : r->verdict, counts,
                      r->findings.empty() ? "" : " - " + r->findings.front().title, step.failures,
                      step.counted, step.llr));
      if (auto stop = too_many_infra_errors(step)) return stop;
      if (r->end == RunEnd::kBootFailure) {
        step.decision = StepDecision::kSkip;
        step.why = "does not boot: " + r->reason;
        WEDGE_CHECK(hooks_.save(rec_));
        return std::optional<Stop>();
      }
    }
  }

  BisectRecord& rec_;
  StepRunner& runner_;
  GitBisect& git_;
  const BisectHooks& hooks_;
  std::filesystem::path out_;
};

}  // namespace

std::string classify_run(RunRecord& run, const BugKey& reference) {
  switch (run.end) {
    case RunEnd::kBootFailure:
    case RunEnd::kInfraError:
      run.counts_as = "none";
      return run.counts_as;
    case RunEnd::kPass:
    case RunEnd::kFinding:
      break;
  }
  bool bads = false;
  for (auto& f : run.findings) {
    f.similarity = similarity(f.key, reference);
    f.bads_bug = f.similarity >= kSameBugSimilarity;
    bads = bads || f.bads_bug;
  }
  run.counts_as = bads ? "bad" : run.end == RunEnd::kPass ? "pass" : "other";
  return run.counts_as;
}

BisectEnd run_bisect(BisectRecord& rec, StepRunner& runner, GitBisect& git,
                     const BisectHooks& hooks, const std::filesystem::path& out_dir) {
  return BisectLoop(rec, runner, git, hooks, out_dir).run();
}

int exit_code_for(BisectEnd end) {
  switch (end) {
    case BisectEnd::kFound:
      return 0;
    case BisectEnd::kRefused:
      return 2;
    case BisectEnd::kOnlySkipped:
    case BisectEnd::kInfraError:
      return 125;
  }
  return 125;
}

}  // namespace wedge::bisect
