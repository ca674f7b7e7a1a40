// The decision loop of wedge bisect (harness/bisect/bisect_loop.h) on scripted outcomes: a fake
// git that bisects a line of nine commits and a fake step runner that plays each commit's
// script. No git, no kernel, no guest.
#include "harness/bisect/bisect_loop.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "harness/bisect/bisect_html.h"
#include "harness/util/process.h"
#include "reports/run_reader.h"
#include "temp_dir_fixture.h"
#include "tests/schema_validation.h"

namespace wedge::bisect {
namespace {

// Commits c0 (good) .. c8 (bad); git bisect's rules over them, with skips.
class FakeGit : public GitBisect {
 public:
  std::vector<std::string> commits = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8"};
  std::vector<std::pair<std::string, Mark>> marks;  // in order, what a log would replay
  std::string head = "main";
  bool started = false;

  Result<std::string> resolve(const std::string& rev) override { return rev; }
  Result<std::string> subject(const std::string& commit) override { return "subject of " + commit; }
  Status start() override {
    started = true;
    return ok_status();
  }
  Status checkout(const std::string& commit) override {
    head = commit;
    return ok_status();
  }
  Result<NextStep> mark(const std::string& commit, Mark m) override {
    marks.emplace_back(commit, m);
    return next();
  }
  Result<std::string> log() override {
    std::string out = "git bisect start\n";
    for (const auto& [c, m] : marks)
      out += std::string("git bisect ") + to_string(m) + " " + c + "\n";
    return out;
  }
  Result<NextStep> replay(const std::string& text) override {
    ++replays;
    marks.clear();
    std::istringstream in(text);
    std::string git, bisect, verb, commit;
    while (in >> git >> bisect >> verb) {
      if (verb == "start") continue;
      in >> commit;
      marks.emplace_back(commit, verb == "good"  ? Mark::kGood
                                 : verb == "bad" ? Mark::kBad
                                                 : Mark::kSkip);
    }
    started = true;
    return next();
  }
  int replays = 0;

 private:
  int index(const std::string& c) const {
    return static_cast<int>(std::find(commits.begin(), commits.end(), c) - commits.begin());
  }
  NextStep next() {
    int good = -1;
    int bad = -1;
    std::set<int> skipped;
    for (const auto& [c, m] : marks) {
      int i = index(c);
      if (m == Mark::kGood) good = std::max(good, i);
      if (m == Mark::kBad) bad = bad < 0 ? i : std::min(bad, i);
      if (m == Mark::kSkip) skipped.insert(i);
    }
    if (good < 0 || bad < 0) return {};
    std::vector<int> left;
    for (int i = good + 1; i < bad; ++i) {
      if (!skipped.contains(i)) left.push_back(i);
    }
    if (left.empty()) {
      bool hidden = skipped.contains(bad - 1) && bad - 1 > good;
      if (!hidden) return {NextStep::Kind::kFound, commits[bad], {}};
      NextStep n{NextStep::Kind::kOnlySkipped, "", {}};
      for (int i = good + 1; i <= bad; ++i) n.candidates.push_back(commits[i]);
      return n;
    }
    head = commits[left[left.size() / 2]];
    return {NextStep::Kind::kTest, head, {}};
  }
};

RunOutcome hang(const std::string& recorded_run) {
  auto rec = reports::read_run(std::string(WEDGE_TESTDATA_DIR) + "/bisect/" + recorded_run);
  EXPECT_TRUE(rec.ok());
  RunOutcome o;
  o.end = RunEnd::kFinding;
  o.verdict = "hang";
  o.findings = rec->report.findings;
  o.signatures = rec->signatures;
  o.seconds = 70;
  return o;
}

RunOutcome pass() {
  RunOutcome o;
  o.end = RunEnd::kPass;
  o.verdict = "pass";
  o.seconds = 120;
  return o;
}

RunOutcome ended(RunEnd end, const std::string& reason) {
  RunOutcome o;
  o.end = end;
  o.reason = reason;
  return o;
}

// Per commit: does it build, and what does its k-th run (from 1) end with.
struct Script {
  std::set<std::string> unbuildable;
  std::function<RunOutcome(const std::string& commit, int k)> run;
};

class FakeRunner : public StepRunner {
 public:
  explicit FakeRunner(Script s) : script_(std::move(s)) {}
  Result<BuildOutcome> build(const std::string& commit, const std::filesystem::path&) override {
    ++builds;
    current_ = commit;
    if (script_.unbuildable.contains(commit)) return BuildOutcome{false, "", "make: *** error", 30};
    return BuildOutcome{true, "/cache/kernels/" + commit, "", 600};
  }
  Result<RunOutcome> run(const std::string& kernel, const std::filesystem::path& dir) override {
    std::string commit = kernel.substr(kernel.rfind('/') + 1);
    if (stop_after >= 0 && runs >= stop_after) return make_error("interrupted");
    ++runs;
    ++runs_of[commit];
    run_dirs.push_back(dir.filename().string());
    return script_.run(commit, runs_of[commit]);
  }
  int builds = 0;
  int runs = 0;
  int stop_after = -1;  // fail (as if interrupted) once this many runs were made
  std::map<std::string, int> runs_of;
  std::vector<std::string> run_dirs;

 private:
  Script script_;
  std::string current_;
};

bool is_bad(const std::string& commit) { return commit >= "c5"; }  // c5 is the first bad commit

class BisectLoopTest : public wedge::testing::TempDirFixture {
 protected:
  BisectRecord record() {
    BisectRecord rec;
    rec.settings.tree = "/src/linux";
    rec.settings.scenario = "nbd-swap-hog";
    rec.settings.good = "c0";
    rec.settings.bad = "c8";
    return rec;
  }
  BisectEnd bisect(BisectRecord& rec, FakeRunner& runner) {
    BisectHooks hooks;
    hooks.progress = [this](const std::string& line) { lines.push_back(line); };
    hooks.save = [this](BisectRecord& r) {
      ++saves;
      return write_bisect_json(r, dir() / "bisect.json");
    };
    return run_bisect(rec, runner, git, hooks, dir());
  }
  const StepRecord* step(const BisectRecord& rec, const std::string& commit) {
    for (const auto& s : rec.steps) {
      if (s.commit == commit && s.role == StepRole::kBisect) return &s;
    }
    return nullptr;
  }
  FakeGit git;
  std::vector<std::string> lines;
  int saves = 0;
};

TEST_F(BisectLoopTest, AlwaysFailingBadCommitsAreFoundWithTwoRunsEach) {
  FakeRunner runner({{}, [](const std::string& c, int) {
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(rec.result.first_bad, "c5");
  EXPECT_EQ(rec.result.state, "found");
  EXPECT_EQ(exit_code_for(BisectEnd::kFound), 0);
  ASSERT_TRUE(rec.reference.has_value());
  EXPECT_DOUBLE_EQ(rec.reference->p_bad, 1.0);
  EXPECT_EQ(rec.reference->runs, 3);  // stopped at 3 failures of one bug
  EXPECT_DOUBLE_EQ(rec.sprt->p_bad, kMaxBadRate);
  // p_bad 0.95 vs p_good 0.095: two failures (LLR 4.6) say bad, two passes (-5.8) good; one
  // run (+-2.3, -2.9) is not enough at alpha = beta = 0.05 (bounds +-2.94).
  for (const auto& s : rec.steps) {
    if (s.role != StepRole::kBisect) continue;
    EXPECT_EQ(s.decision, is_bad(s.commit) ? StepDecision::kBad : StepDecision::kGood) << s.commit;
    EXPECT_EQ(s.runs.size(), 2u) << s.commit;
  }
  EXPECT_NE(first_bad_finding(rec), nullptr);
  EXPECT_GT(saves, 5);
}

TEST_F(BisectLoopTest, NeverFailingBadIsRefusedWithExit2) {
  FakeRunner runner({{}, [](const std::string&, int) { return pass(); }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kRefused);
  EXPECT_EQ(exit_code_for(BisectEnd::kRefused), 2);
  EXPECT_EQ(rec.result.state, "refused");
  EXPECT_NE(rec.result.message.find("did not fail in 6 runs"), std::string::npos)
      << rec.result.message;
  EXPECT_EQ(runner.runs, 6);
  EXPECT_TRUE(git.marks.empty());  // nothing was marked
}

TEST_F(BisectLoopTest, AOneInThreeDeadlockIsBisectedToTheRightCommit) {
  std::mt19937 random(18);  // fixed seed: the same runs every time
  FakeRunner runner({{}, [&](const std::string& c, int) {
                       bool fails =
                           is_bad(c) && std::uniform_int_distribution<int>(0, 2)(random) == 0;
                       return fails ? hang(random() % 2 ? "reserves-hang-bio-alloc"
                                                        : "reserves-hang-create-worker")
                                    : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(rec.result.first_bad, "c5");
  ASSERT_TRUE(rec.reference.has_value());
  EXPECT_GT(rec.reference->p_bad, 0.0);
  EXPECT_LT(rec.reference->p_bad, 1.0);
  // Good commits need several passes to be called good: one pass proves nothing.
  for (const auto& s : rec.steps) {
    if (s.role == StepRole::kBisect && s.decision == StepDecision::kGood) {
      EXPECT_GE(s.runs.size(), 4u) << s.commit;
    }
  }
}

TEST_F(BisectLoopTest, ACommitThatDoesNotBuildIsSkipped) {
  FakeRunner runner({{"c6"}, [](const std::string& c, int) {
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(rec.result.first_bad, "c5");
  const StepRecord* c6 = step(rec, "c6");
  ASSERT_NE(c6, nullptr);
  EXPECT_EQ(c6->decision, StepDecision::kSkip);
  EXPECT_TRUE(c6->runs.empty());
  EXPECT_NE(c6->why.find("does not build"), std::string::npos);
  EXPECT_TRUE(std::find(git.marks.begin(), git.marks.end(),
                        std::pair{std::string("c6"), Mark::kSkip}) != git.marks.end());
}

TEST_F(BisectLoopTest, ACommitThatDoesNotBootIsSkipped) {
  FakeRunner runner({{}, [](const std::string& c, int) {
                       if (c == "c6") return ended(RunEnd::kBootFailure, "no agent after 300 s");
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  const StepRecord* c6 = step(rec, "c6");
  ASSERT_NE(c6, nullptr);
  EXPECT_EQ(c6->decision, StepDecision::kSkip);
  EXPECT_EQ(c6->runs.size(), 1u);
  EXPECT_NE(c6->why.find("does not boot: no agent after 300 s"), std::string::npos);
  EXPECT_EQ(rec.result.first_bad, "c5");
}

TEST_F(BisectLoopTest, SkippedCommitsThatHideTheAnswerEndWithTheCandidates) {
  FakeRunner runner({{"c4", "c5"}, [](const std::string& c, int) {
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kOnlySkipped) << rec.result.message;
  EXPECT_EQ(exit_code_for(BisectEnd::kOnlySkipped), 125);
  EXPECT_EQ(rec.result.candidates, (std::vector<std::string>{"c4", "c5", "c6"}));
}

TEST_F(BisectLoopTest, ADifferentBugOnGoodCommitsDoesNotSteer) {
  // The good commits deadlock every other run too, but with the virtio refill bug.
  FakeRunner runner({{}, [](const std::string& c, int k) {
                       if (is_bad(c)) return k % 2 ? hang("reserves-hang-bio-alloc") : pass();
                       return k % 2 ? hang("virtio-refill-hang") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(rec.result.first_bad, "c5");
  EXPECT_EQ(rec.reference->signature, "hang: bio_alloc_bioset");
  bool saw_other = false;
  for (const auto& s : rec.steps) {
    if (s.role != StepRole::kBisect || is_bad(s.commit)) continue;
    EXPECT_EQ(s.decision, StepDecision::kGood) << s.commit;
    EXPECT_EQ(s.failures, 0) << s.commit;
    for (const auto& r : s.runs) {
      if (r.counts_as != "other") continue;
      saw_other = true;
      EXPECT_FALSE(r.findings.front().bads_bug);
      EXPECT_EQ(r.findings.front().title, "nbd: possible stuck request on nbd0");
    }
  }
  EXPECT_TRUE(saw_other);
}

TEST_F(BisectLoopTest, BadsOwnNoiseIsNotTakenForItsBug) {
  // BAD meets the other bug once, then its own bug three times: the reference is its own.
  FakeRunner runner({{}, [](const std::string& c, int k) {
                       if (c == "c8" && k == 1) return hang("virtio-refill-hang");
                       return is_bad(c) ? hang("reserves-hang-create-worker") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(rec.reference->signature, "hang: create_worker");
  EXPECT_EQ(rec.reference->runs, 3);  // the other bug's run is not counted
  EXPECT_EQ(rec.result.first_bad, "c5");
}

TEST_F(BisectLoopTest, RepeatedInfraErrorsStopWithExit125AndMarkNothing) {
  FakeRunner runner({{}, [](const std::string& c, int) {
                       if (c == "c4") return ended(RunEnd::kInfraError, "nbd-server died");
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kInfraError);
  EXPECT_EQ(exit_code_for(BisectEnd::kInfraError), 125);
  EXPECT_EQ(rec.result.state, "infra_error");
  EXPECT_NE(rec.result.message.find("nbd-server died"), std::string::npos) << rec.result.message;
  EXPECT_EQ(runner.runs_of["c4"], 4);  // 3 retries, then the 4th stops it
  for (const auto& [c, m] : git.marks) EXPECT_NE(c, "c4");
}

// Stopped by a broken host (4 infra errors on c4), then resumed once the host is fixed: the
// resumed session gives c4 a fresh budget instead of stopping at its first run again.
TEST_F(BisectLoopTest, AResumedBisectGetsAFreshBudgetOfInfraErrors) {
  FakeRunner broken({{}, [](const std::string& c, int) {
                       if (c == "c4") return ended(RunEnd::kInfraError, "disk full");
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, broken), BisectEnd::kInfraError);
  EXPECT_NE(rec.result.message.find("the last: disk full"), std::string::npos)
      << rec.result.message;
  auto saved = read_bisect_json(dir() / "bisect.json");
  ASSERT_TRUE(saved.ok()) << saved.error().message();
  git = FakeGit();
  FakeRunner fixed({{}, [](const std::string& c, int) {
                      return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                    }});
  ASSERT_EQ(bisect(*saved, fixed), BisectEnd::kFound) << saved->result.message;
  EXPECT_EQ(saved->result.first_bad, "c5");
  EXPECT_EQ(step(*saved, "c4")->decision, StepDecision::kGood);
  EXPECT_GE(step(*saved, "c4")->runs.size(), 5u);  // the 4 infra runs are still on record
}

TEST_F(BisectLoopTest, AFewInfraErrorsAreRetried) {
  FakeRunner runner({{}, [](const std::string& c, int k) {
                       if (c == "c4" && k <= 2) return ended(RunEnd::kInfraError, "libvirt lost");
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound) << rec.result.message;
  EXPECT_EQ(step(rec, "c4")->infra_errors, 2);
  EXPECT_EQ(step(rec, "c4")->decision, StepDecision::kGood);
}

TEST_F(BisectLoopTest, AnInterruptedBisectResumesWithoutRerunningDecidedSteps) {
  auto script = [](const std::string& c, int) {
    return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
  };
  FakeRunner first({{}, script});
  first.stop_after = 5;  // BAD's 3 runs, then 2 more
  BisectRecord rec = record();
  ASSERT_EQ(bisect(rec, first), BisectEnd::kInfraError);
  EXPECT_EQ(rec.result.state, "infra_error");

  // A new session: bisect.json as saved, a fresh git that only has the log.
  auto saved = read_bisect_json(dir() / "bisect.json");
  ASSERT_TRUE(saved.ok()) << saved.error().message();
  git = FakeGit();
  FakeRunner second({{}, script});
  ASSERT_EQ(bisect(*saved, second), BisectEnd::kFound) << saved->result.message;
  EXPECT_EQ(saved->result.first_bad, "c5");
  EXPECT_EQ(git.replays, 1);
  EXPECT_EQ(second.runs_of.count("c8"), 0u);  // BAD was not measured again
  FakeRunner whole({{}, script});
  git = FakeGit();
  BisectRecord fresh = record();
  ASSERT_EQ(bisect(fresh, whole), BisectEnd::kFound);
  EXPECT_EQ(first.runs + second.runs, whole.runs);  // not one run repeated
}

TEST_F(BisectLoopTest, BisectJsonRoundTripsAndTheHtmlShowsTheFirstBadCommit) {
  FakeRunner runner({{"c6"}, [](const std::string& c, int) {
                       return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
                     }});
  BisectRecord rec = record();
  rec.settings.build_args = {"--base", "tree", "--builtin"};
  ASSERT_EQ(bisect(rec, runner), BisectEnd::kFound);
  auto back = bisect_from_json(bisect_json(rec));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(bisect_json(*back), bisect_json(rec));
  // A resumed bisect builds each step as the first one did.
  EXPECT_EQ(back->settings.build_args, rec.settings.build_args);
  nlohmann::json j = bisect_json(rec);
  EXPECT_EQ(j["result"]["first_bad"], "c5");
  EXPECT_EQ(j["result"]["finding"]["title"],
            "tasks blocked in bio_alloc_bioset (no workload progress for 20 s)");
  EXPECT_FALSE(j["result"]["finding"]["stacks"].empty());
  EXPECT_EQ(j["cost"]["runs"], runner.runs);
  EXPECT_EQ(j["cost"]["builds"], runner.builds);
  std::string html = bisect_html(rec);
  EXPECT_NE(html.find("First bad commit"), std::string::npos);
  EXPECT_NE(html.find("__sock_xmit"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(BisectLoopTest, BisectJsonMatchesItsSchemaFoundRefusedAndStopped) {
  std::vector<std::string> argv = test::schema_validation_argv(
      std::string(WEDGE_SOURCE_DIR) + "/reports/schema/bisect.schema.json");
  auto script = [](const std::string& c, int) {
    if (c == "c6") return ended(RunEnd::kBootFailure, "no agent");
    return is_bad(c) ? hang("reserves-hang-bio-alloc") : pass();
  };
  std::vector<std::pair<std::string, BisectEnd>> cases = {{"found", BisectEnd::kFound},
                                                          {"refused", BisectEnd::kRefused},
                                                          {"stopped", BisectEnd::kInfraError}};
  for (const auto& [name, expected] : cases) {
    git = FakeGit();
    FakeRunner runner({{},
                       name == "refused"
                           ? std::function([](const std::string&, int) { return pass(); })
                           : std::function(script)});
    if (name == "stopped") runner.stop_after = 4;
    BisectRecord rec = record();
    ASSERT_EQ(bisect(rec, runner), expected) << name;
    auto copied = read_file(dir() / "bisect.json");
    ASSERT_TRUE(copied.ok());
    ASSERT_TRUE(write_file_atomic(dir() / (name + ".json"), *copied).ok());
    argv.push_back((dir() / (name + ".json")).string());
  }
  auto checked = run_command(argv, std::chrono::seconds(60));
  ASSERT_TRUE(checked.ok()) << checked.error().message();
  EXPECT_EQ(checked->status.code, 0) << checked->out << checked->err;
}

}  // namespace
}  // namespace wedge::bisect
