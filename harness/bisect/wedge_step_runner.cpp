// Implementation of wedge_step_runner.h.
#include "harness/bisect/wedge_step_runner.h"

#include <fmt/format.h>

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/util/process.h"
#include "reports/run_reader.h"

namespace wedge::bisect {

namespace {

// A kernel build from scratch under TCG-era hardware, and a run with its traces and dump.
constexpr std::chrono::hours kBuildTimeout{6};
constexpr std::chrono::hours kRunTimeout{4};
constexpr size_t kLogTailLines = 20;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string tail(const std::string& text, size_t n) {
  std::vector<std::string> lines = lines_of(text);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += lines[i] + "\n";
  }
  return out;
}

// Runs argv with its stdout and stderr in files; returns the exit status.
Result<ExitStatus> run_logged(const std::vector<std::string>& argv,
                              const std::filesystem::path& out, const std::filesystem::path& err,
                              std::chrono::milliseconds limit) {
  WEDGE_TRY(ChildProcess child,
            ChildProcess::spawn(argv, {.stdout_path = out, .stderr_path = err}));
  WEDGE_TRY(ExitStatus status, child.wait_for(limit));
  return status;
}

std::string read_or_empty(const std::filesystem::path& p) {
  auto text = read_file(p);
  return text ? *text : std::string();
}

}  // namespace

Result<BuildOutcome> build_outcome_of(int exit_code, const std::string& out,
                                      const std::string& err) {
  BuildOutcome b;
  if (exit_code == 0) {
    std::vector<std::string> lines = lines_of(out);
    if (lines.empty() || !lines.back().starts_with('/')) {
      return make_error("wedge kernel build exited 0 but its last line is not a folder: {}",
                        lines.empty() ? "(no output)" : lines.back());
    }
    b.built = true;
    b.kernel = lines.back();
    return b;
  }
  if (exit_code == 125) {
    b.log_tail = tail(err.empty() ? out : err, kLogTailLines);
    return b;
  }
  return make_error("wedge kernel build: exit {}: {}", exit_code, tail(err, 3));
}

Result<RunOutcome> run_outcome_of(int exit_code, const std::filesystem::path& run_dir) {
  RunOutcome o;
  auto record = reports::read_run(run_dir);
  if (exit_code == 2) {
    return make_error("wedge run: usage error (exit 2){}",
                      record ? ": " + record->report.reason : std::string());
  }
  if (!record) {
    o.end = RunEnd::kInfraError;
    o.reason = fmt::format("exit {} and no report: {}", exit_code, record.error().message());
    return o;
  }
  const reports::RunReport& r = record->report;
  o.verdict = reports::to_string(r.verdict);
  o.reason = r.reason;
  o.seconds = r.run_s;
  o.findings = r.findings;
  o.signatures = record->signatures;
  if (r.verdict == reports::Verdict::kInfraError || exit_code == 125) {
    o.end = RunEnd::kInfraError;
  } else if (r.verdict == reports::Verdict::kBootFailure) {
    o.end = RunEnd::kBootFailure;
  } else {
    o.end = exit_code == 0 ? RunEnd::kPass : RunEnd::kFinding;
  }
  return o;
}

Result<BuildOutcome> WedgeStepRunner::build(const std::string& commit,
                                            const std::filesystem::path& step_dir) {
  std::error_code ec;
  std::filesystem::create_directories(step_dir, ec);
  if (ec) return make_error("creating {}: {}", step_dir.string(), ec.message());
  std::filesystem::path out = step_dir / "build.out";
  std::filesystem::path err = step_dir / "build.log";
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> argv = {options_.wedge.string(), "kernel", "build",
                                   options_.tree.string()};
  argv.insert(argv.end(), options_.build_args.begin(), options_.build_args.end());
  WEDGE_TRY(ExitStatus status,
            run_logged(argv, out, err, kBuildTimeout).context("wedge kernel build of " + commit));
  if (status.signal != 0) return make_error("wedge kernel build: {}", status.describe());
  WEDGE_TRY(BuildOutcome b, build_outcome_of(status.code, read_or_empty(out), read_or_empty(err)));
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return b;
}

Result<RunOutcome> WedgeStepRunner::run(const std::string& kernel,
                                        const std::filesystem::path& run_dir) {
  std::vector<std::string> argv = {
      options_.wedge.string(), "run",     options_.scenario, "--kernel", kernel, "--out",
      run_dir.string(),        "--force", "--quiet"};
  argv.insert(argv.end(), options_.run_args.begin(), options_.run_args.end());
  std::filesystem::path log = run_dir.string() + ".log";
  auto started = std::chrono::steady_clock::now();
  WEDGE_TRY(ExitStatus status, run_logged(argv, log, {}, kRunTimeout).context("wedge run"));
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (status.signal != 0) return make_error("wedge run: {}", status.describe());
  WEDGE_TRY(RunOutcome o, run_outcome_of(status.code, run_dir));
  o.seconds = seconds;
  return o;
}

}  // namespace wedge::bisect
