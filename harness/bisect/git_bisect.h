// The git side of a bisect, behind an interface so that the decision loop is tested without
// git: start, check out BAD, mark commits, and restore a saved bisect log on resume.
// GitTree implements it with `git -C TREE bisect ...` children (argv, never a shell).
//
//   GitTree git(tree);
//   WEDGE_CHECK(git.start());
//   WEDGE_TRY(NextStep next, git.mark(good_sha, Mark::kGood));  // next.commit to test
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/result.h"

namespace wedge::bisect {

enum class Mark { kGood, kBad, kSkip };

// What git bisect says after a mark.
struct NextStep {
  enum class Kind {
    kWaiting,      // it still needs a good or a bad commit
    kTest,         // commit is checked out and waits for a verdict
    kFound,        // commit is the first bad commit
    kOnlySkipped,  // only skipped commits are left: candidates could each be the first bad one
  };
  Kind kind = Kind::kWaiting;
  std::string commit;
  std::vector<std::string> candidates;
};

class GitBisect {
 public:
  virtual ~GitBisect() = default;
  // The full hash of a revision ("HEAD~3", a tag, a short hash).
  [[nodiscard]] virtual Result<std::string> resolve(const std::string& rev) = 0;
  // The commit's subject line, for people.
  [[nodiscard]] virtual Result<std::string> subject(const std::string& commit) = 0;
  // git bisect start (with no revisions: they are marked once BAD has been measured).
  [[nodiscard]] virtual Status start() = 0;
  // Checks commit out (BAD, to measure it before bisecting).
  [[nodiscard]] virtual Status checkout(const std::string& commit) = 0;
  [[nodiscard]] virtual Result<NextStep> mark(const std::string& commit, Mark mark) = 0;
  // git bisect log: what replay needs to restore the state.
  [[nodiscard]] virtual Result<std::string> log() = 0;
  // Ends any bisect in the tree and replays `log` (a git bisect log's text).
  [[nodiscard]] virtual Result<NextStep> replay(const std::string& log) = 0;
};

// What a `git bisect good|bad|skip|replay` printed, as a NextStep. head: the commit checked out
// afterwards (what is to be tested next).
// parse_bisect_output("abc... is the first bad commit\n...", "") == {kFound, "abc..."}
[[nodiscard]] NextStep parse_bisect_output(const std::string& out, const std::string& head);

[[nodiscard]] const char* to_string(Mark mark);

// The real thing: git in a work tree.
class GitTree : public GitBisect {
 public:
  explicit GitTree(std::filesystem::path tree) : tree_(std::move(tree)) {}
  [[nodiscard]] Result<std::string> resolve(const std::string& rev) override;
  [[nodiscard]] Result<std::string> subject(const std::string& commit) override;
  [[nodiscard]] Status start() override;
  [[nodiscard]] Status checkout(const std::string& commit) override;
  [[nodiscard]] Result<NextStep> mark(const std::string& commit, Mark mark) override;
  [[nodiscard]] Result<std::string> log() override;
  [[nodiscard]] Result<NextStep> replay(const std::string& log) override;

 private:
  [[nodiscard]] Result<std::string> git(const std::vector<std::string>& args, bool checked = true);
  [[nodiscard]] Result<NextStep> next_after(const std::vector<std::string>& args);
  std::filesystem::path tree_;
};

}  // namespace wedge::bisect
