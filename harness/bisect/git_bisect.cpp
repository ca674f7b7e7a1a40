// Implementation of git_bisect.h: git as argv children in the tree, and the parse of what
// git bisect prints after each mark.
#include "harness/bisect/git_bisect.h"

#include <chrono>
#include <sstream>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/text.h"

namespace wedge::bisect {

namespace {

// git bisect checks out kernel trees: tens of thousands of files on a slow disk.
constexpr std::chrono::minutes kGitTimeout{10};

std::string trimmed(const std::string& s) { return std::string(trim_end(s)); }

bool is_hash(const std::string& s) {
  return s.size() >= 7 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

NextStep parse_bisect_output(const std::string& out, const std::string& head) {
  NextStep next;
  std::istringstream lines(out);
  std::string line;
  bool listing = false;
  while (std::getline(lines, line)) {
    auto found = line.find(" is the first bad commit");
    if (found != std::string::npos && is_hash(line.substr(0, found))) {
      next.kind = NextStep::Kind::kFound;
      next.commit = line.substr(0, found);
      return next;
    }
    if (line.starts_with("There are only 'skip'ped commits left to test")) {
      next.kind = NextStep::Kind::kOnlySkipped;
    } else if (line.starts_with("The first bad commit could be any of")) {
      listing = true;
    } else if (listing && is_hash(trimmed(line))) {
      next.candidates.push_back(trimmed(line));
    } else if (line.starts_with("Bisecting:")) {
      next.kind = NextStep::Kind::kTest;
      next.commit = head;
    }
  }
  return next;
}

const char* to_string(Mark mark) {
  switch (mark) {
    case Mark::kGood:
      return "good";
    case Mark::kBad:
      return "bad";
    case Mark::kSkip:
      return "skip";
  }
  return "skip";
}

Result<std::string> GitTree::git(const std::vector<std::string>& args, bool checked) {
  std::vector<std::string> argv = {"git", "-C", tree_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string what = "git " + (args.empty() ? std::string() : args.front());
  if (args.size() > 1 && args.front() == "bisect") what += " " + args[1];
  if (checked) {
    WEDGE_TRY(CommandOutput out, run_checked(argv, kGitTimeout).context(what));
    return out.out;
  }
  WEDGE_TRY(CommandOutput out, run_command(argv, kGitTimeout).context(what));
  return out.out + out.err;
}

Result<std::string> GitTree::resolve(const std::string& rev) {
  WEDGE_TRY(std::string out, git({"rev-parse", "--verify", "--end-of-options", rev + "^{commit}"}));
  return trimmed(out);
}

Result<std::string> GitTree::subject(const std::string& commit) {
  WEDGE_TRY(std::string out, git({"log", "-1", "--format=%s", commit, "--"}));
  return trimmed(out);
}

Status GitTree::start() {
  WEDGE_TRY(std::string ignored, git({"bisect", "start"}));
  (void)ignored;
  return ok_status();
}

Status GitTree::checkout(const std::string& commit) {
  WEDGE_TRY(std::string ignored, git({"checkout", "--quiet", "--detach", commit}));
  (void)ignored;
  return ok_status();
}

Result<NextStep> GitTree::next_after(const std::vector<std::string>& args) {
  // git exits 2 when only skipped commits are left: that is an answer, not a failure.
  std::vector<std::string> argv = {"git", "-C", tree_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string what = "git " + args.at(0) + " " + args.at(1);
  WEDGE_TRY(CommandOutput out, run_command(argv, kGitTimeout).context(what));
  WEDGE_TRY(std::string head, git({"rev-parse", "HEAD"}));
  NextStep next = parse_bisect_output(out.out, trimmed(head));
  bool answered = next.kind == NextStep::Kind::kFound || next.kind == NextStep::Kind::kOnlySkipped;
  if (!out.status.success() && !answered) {
    std::string err = trimmed(out.err.empty() ? out.out : out.err);
    return make_error("{}: {}: {}", what, out.status.describe(), err);
  }
  return next;
}

Result<NextStep> GitTree::mark(const std::string& commit, Mark mark) {
  return next_after({"bisect", to_string(mark), commit});
}

Result<std::string> GitTree::log() { return git({"bisect", "log"}); }

Result<NextStep> GitTree::replay(const std::string& log) {
  // A tree may hold another bisect (or ours, half-way): reset it; "not bisecting" is fine.
  WEDGE_TRY(std::string ignored, git({"bisect", "reset"}, /*checked=*/false));
  (void)ignored;
  WEDGE_TRY(TempDir dir, TempDir::create("wedge-bisect-log"));
  std::filesystem::path file = dir.path() / "bisect.log";
  WEDGE_CHECK(write_file_atomic(file, log));
  return next_after({"bisect", "replay", file.string()});
}

}  // namespace wedge::bisect
