// The git side of wedge bisect (harness/bisect/git_bisect.h) on a tiny repository made with
// git in a temp dir, and the parse of what git bisect prints; plus how `wedge kernel build`'s
// and `wedge run`'s answers become step outcomes (harness/bisect/wedge_step_runner.h).
#include <gtest/gtest.h>

#include <chrono>

#include "harness/bisect/git_bisect.h"
#include "harness/bisect/wedge_step_runner.h"
#include "harness/util/process.h"
#include "temp_dir_fixture.h"

namespace wedge::bisect {
namespace {

using namespace std::chrono_literals;

class BisectGitTest : public wedge::testing::TempDirFixture {
 protected:
  void SetUp() override {
    TempDirFixture::SetUp();
    git({"init", "-q", "-b", "main"});
    git({"config", "user.email", "bisect@wedge.invalid"});
    git({"config", "user.name", "wedge"});
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(write_file_atomic(dir() / "nbd.c", fmt::format("version {}\n", i)).ok());
      git({"add", "nbd.c"});
      git({"commit", "-q", "-m", fmt::format("commit {}", i)});
      commits.push_back(head());
    }
  }
  std::string git(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"git", "-C", dir().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto out = run_checked(argv, 30s);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
    return out.ok() ? out->out : "";
  }
  std::string head() {
    std::string h = git({"rev-parse", "HEAD"});
    return h.substr(0, h.find('\n'));
  }
  // Marks commits as a bisect would with commit 5 the first bad one, from `next` on.
  NextStep bisect_to_the_end(GitTree& tree, NextStep next) {
    while (next.kind == NextStep::Kind::kTest) {
      int i = static_cast<int>(std::find(commits.begin(), commits.end(), next.commit) -
                               commits.begin());
      auto marked = tree.mark(next.commit, i >= 5 ? Mark::kBad : Mark::kGood);
      EXPECT_TRUE(marked.ok()) << (marked.ok() ? "" : marked.error().message());
      if (!marked.ok()) break;
      next = *marked;
    }
    return next;
  }
  std::vector<std::string> commits;
};

TEST_F(BisectGitTest, FindsTheFirstBadCommitThroughGitBisect) {
  GitTree tree(dir());
  auto bad = tree.resolve("HEAD");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(*bad, commits[7]);
  auto good = tree.resolve("HEAD~7");
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(tree.start().ok());
  ASSERT_TRUE(tree.checkout(*bad).ok());
  EXPECT_EQ(head(), commits[7]);
  auto waiting = tree.mark(*bad, Mark::kBad);
  ASSERT_TRUE(waiting.ok()) << waiting.error().message();
  EXPECT_EQ(waiting->kind, NextStep::Kind::kWaiting);
  auto next = tree.mark(*good, Mark::kGood);
  ASSERT_TRUE(next.ok()) << next.error().message();
  ASSERT_EQ(next->kind, NextStep::Kind::kTest);
  EXPECT_EQ(next->commit, head());
  NextStep end = bisect_to_the_end(tree, *next);
  EXPECT_EQ(end.kind, NextStep::Kind::kFound);
  EXPECT_EQ(end.commit, commits[5]);
  auto subject = tree.subject(commits[5]);
  ASSERT_TRUE(subject.ok());
  EXPECT_EQ(*subject, "commit 5");
}

TEST_F(BisectGitTest, ReplayOfTheSavedLogRestoresTheState) {
  GitTree tree(dir());
  ASSERT_TRUE(tree.start().ok());
  ASSERT_TRUE(tree.mark(commits[7], Mark::kBad).ok());
  auto first = tree.mark(commits[0], Mark::kGood);
  ASSERT_TRUE(first.ok());
  auto after_one = tree.mark(
      first->commit,
      first->commit == commits[5] || first->commit == commits[6] ? Mark::kBad : Mark::kGood);
  ASSERT_TRUE(after_one.ok());
  auto log = tree.log();
  ASSERT_TRUE(log.ok());
  // Interrupted: someone resets the tree; a new session replays the log.
  git({"bisect", "reset"});
  GitTree again(dir());
  auto restored = again.replay(*log);
  ASSERT_TRUE(restored.ok()) << restored.error().message();
  EXPECT_EQ(restored->kind, after_one->kind);
  EXPECT_EQ(restored->commit, after_one->commit);
  EXPECT_EQ(bisect_to_the_end(again, *restored).commit, commits[5]);
}

TEST_F(BisectGitTest, OnlySkippedCommitsLeftIsAnAnswerNotAnError) {
  GitTree tree(dir());
  ASSERT_TRUE(tree.start().ok());
  ASSERT_TRUE(tree.mark(commits[3], Mark::kBad).ok());
  auto next = tree.mark(commits[1], Mark::kGood);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->commit, commits[2]);
  auto skipped = tree.mark(commits[2], Mark::kSkip);
  ASSERT_TRUE(skipped.ok()) << skipped.error().message();
  EXPECT_EQ(skipped->kind, NextStep::Kind::kOnlySkipped);
  EXPECT_EQ(skipped->candidates, (std::vector<std::string>{commits[2], commits[3]}));
}

TEST_F(BisectGitTest, AnUnknownRevisionIsAnError) {
  GitTree tree(dir());
  auto r = tree.resolve("no-such-tag");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("git rev-parse"), std::string::npos) << r.error().message();
}

TEST(BisectOutputTest, ParsesGitBisectsAnswers) {
  NextStep found = parse_bisect_output(
      "1234567890abcdef1234567890abcdef12345678 is the first bad commit\ncommit 1234567\n", "x");
  EXPECT_EQ(found.kind, NextStep::Kind::kFound);
  EXPECT_EQ(found.commit, "1234567890abcdef1234567890abcdef12345678");
  NextStep test = parse_bisect_output(
      "Bisecting: 2 revisions left to test after this (roughly 1 step)\n[abcdef1] c3\n", "abcdef1");
  EXPECT_EQ(test.kind, NextStep::Kind::kTest);
  EXPECT_EQ(test.commit, "abcdef1");
  NextStep waiting =
      parse_bisect_output("status: waiting for good commit(s), bad commit known\n", "");
  EXPECT_EQ(waiting.kind, NextStep::Kind::kWaiting);
}

TEST(BisectStepOutcomeTest, KernelBuildContract) {
  auto built = build_outcome_of(0, "building...\n/var/cache/wedge/kernels/ab12\n", "");
  ASSERT_TRUE(built.ok());
  EXPECT_TRUE(built->built);
  EXPECT_EQ(built->kernel, "/var/cache/wedge/kernels/ab12");
  auto failed = build_outcome_of(125, "", "CC drivers/block/nbd.o\nnbd.c:12: error: x\n");
  ASSERT_TRUE(failed.ok());
  EXPECT_FALSE(failed->built);
  EXPECT_NE(failed->log_tail.find("nbd.c:12: error"), std::string::npos);
  EXPECT_FALSE(build_outcome_of(2, "", "usage").ok());
  EXPECT_FALSE(build_outcome_of(0, "no folder\n", "").ok());
}

TEST(BisectStepOutcomeTest, RunOutcomeFromExitCodeAndReport) {
  std::string runs = std::string(WEDGE_TESTDATA_DIR);
  auto hang = run_outcome_of(1, runs + "/bisect/reserves-hang-create-worker");
  ASSERT_TRUE(hang.ok());
  EXPECT_EQ(hang->end, RunEnd::kFinding);
  EXPECT_EQ(hang->verdict, "hang");
  ASSERT_EQ(hang->signatures.size(), 1u);
  EXPECT_EQ(hang->signatures[0], "hang: create_worker");
  EXPECT_FALSE(hang->findings[0].stacks.empty());
  auto passed = run_outcome_of(0, runs + "/runs/nbd-swap-hog-pass");
  ASSERT_TRUE(passed.ok());
  EXPECT_EQ(passed->end, RunEnd::kPass);
  auto missing = run_outcome_of(125, runs + "/no-such-run");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->end, RunEnd::kInfraError);
  EXPECT_FALSE(run_outcome_of(2, runs + "/no-such-run").ok());
}

}  // namespace
}  // namespace wedge::bisect
