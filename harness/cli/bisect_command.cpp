// `wedge bisect`: argument handling, resuming from bisect.json, progress and the summary line.
#include "harness/cli/bisect_command.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "harness/bisect/bisect_html.h"
#include "harness/bisect/bisect_loop.h"
#include "harness/bisect/wedge_step_runner.h"
#include "harness/cli/output_root.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"

namespace wedge::cli {

namespace {

namespace fs = std::filesystem;

struct BisectArgs {
  std::string scenario;
  std::string good;
  std::string bad;
  std::string tree = ".";
  std::string out;  // empty: ./wedge-bisect (output_root.h)
  std::string resume;
  double alpha = 0.05;
  double beta = 0.05;
  int max_runs = 30;
  int bad_runs = 6;
  std::string accel;
  std::string cache;
  std::string base;  // wedge kernel build --base
  bool builtin = false;
};

int usage(const std::string& message) {
  fmt::print(stderr, "wedge bisect: {}\n", message);
  return kExitUsage;
}

// A new bisect's record from the arguments (revisions resolved to full hashes).
Result<bisect::BisectRecord> new_record(const BisectArgs& a, bisect::GitBisect& git,
                                        const fs::path& tree) {
  bisect::BisectRecord rec;
  bisect::BisectSettings& s = rec.settings;
  s.tree = tree.string();
  s.scenario = a.scenario;
  WEDGE_TRY(s.good, git.resolve(a.good).context("--good " + a.good));
  WEDGE_TRY(s.bad, git.resolve(a.bad).context("--bad " + a.bad));
  if (s.good == s.bad) return make_error("--good and --bad are the same commit {}", s.good);
  s.alpha = a.alpha;
  s.beta = a.beta;
  s.max_runs_per_step = a.max_runs;
  s.bad_runs = a.bad_runs;
  if (!a.base.empty()) s.build_args.insert(s.build_args.end(), {"--base", a.base});
  if (a.builtin) s.build_args.emplace_back("--builtin");
  return rec;
}

int run(const BisectArgs& a) {
  install_interrupt_handlers();
  std::string out_root = a.resume;
  if (out_root.empty()) {
    if (a.scenario.empty() || a.good.empty() || a.bad.empty()) {
      return usage("a SCENARIO, --good and --bad are needed (or --resume DIR)");
    }
    std::optional<std::string> out = resolve_output_root(a.out, "wedge-bisect", "wedge bisect");
    if (!out) return kExitUsage;
    out_root = *out;
  }
  fs::path out = fs::absolute(out_root);
  fs::path json_path = out / "bisect.json";
  std::error_code ec;
  bisect::BisectRecord rec;
  if (fs::exists(json_path, ec)) {
    auto saved = bisect::read_bisect_json(json_path);
    if (!saved) return usage(saved.error().message());
    rec = std::move(*saved);
    if (a.resume.empty()) {
      // The same command again resumes; a different one must not overwrite this bisect.
      bisect::GitTree git(fs::weakly_canonical(a.tree, ec));
      auto good = git.resolve(a.good);
      auto bad = git.resolve(a.bad);
      if (rec.settings.scenario != a.scenario || !good || !bad || *good != rec.settings.good ||
          *bad != rec.settings.bad || rec.settings.tree != fs::weakly_canonical(a.tree, ec)) {
        return usage(
            fmt::format("{} holds another bisect (of {} in {}): use --resume {} or "
                        "another --out",
                        out.string(), rec.settings.scenario, rec.settings.tree, out.string()));
      }
    }
    if (rec.result.state == "found") {
      fmt::print("wedge bisect: already done: first bad commit {} ({})\n", rec.result.first_bad,
                 rec.result.first_bad_subject);
      return kExitPass;
    }
    rec.result = {};
  } else if (!a.resume.empty()) {
    return usage(fmt::format("--resume {}: no bisect.json there", a.resume));
  } else {
    fs::path tree = fs::weakly_canonical(a.tree, ec);
    if (!fs::exists(tree / ".git", ec)) return usage(tree.string() + " is not a git work tree");
    bisect::GitTree git(tree);
    auto created = new_record(a, git, tree);
    if (!created) return usage(created.error().message());
    rec = std::move(*created);
    fs::create_directories(out, ec);
    if (ec) return usage(fmt::format("creating {}: {}", out.string(), ec.message()));
  }

  bisect::WedgeStepOptions options;
  options.wedge = fs::read_symlink("/proc/self/exe", ec);
  options.tree = rec.settings.tree;
  options.scenario = rec.settings.scenario;
  options.build_args = rec.settings.build_args;
  if (!a.accel.empty()) options.run_args.insert(options.run_args.end(), {"--accel", a.accel});
  if (!a.cache.empty()) options.run_args.insert(options.run_args.end(), {"--cache", a.cache});
  bisect::WedgeStepRunner runner(options);
  bisect::GitTree git(rec.settings.tree);

  auto started = std::chrono::steady_clock::now();
  double earlier_wall_s = rec.wall_s;
  bisect::BisectHooks hooks;
  hooks.progress = [](const std::string& line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  };
  hooks.save = [&](bisect::BisectRecord& r) -> Status {
    r.wall_s = earlier_wall_s +
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    WEDGE_CHECK(bisect::write_bisect_json(r, json_path));
    return write_file_atomic(out / "bisect.html", bisect::bisect_html(r));
  };
  bisect::BisectEnd end = bisect::run_bisect(rec, runner, git, hooks, out);
  bisect::BisectCost cost = bisect::cost_of(rec);
  fmt::print("wedge bisect: {} builds ({:.0f} s), {} runs ({:.0f} s), wall {:.0f} s; {}\n",
             cost.builds, cost.build_s, cost.runs, cost.run_s, rec.wall_s,
             (out / "bisect.html").string());
  if (end == bisect::BisectEnd::kInfraError) {
    fmt::print(stderr, "wedge bisect: stopped: {}\nresume with: wedge bisect --resume {}\n",
               rec.result.message, out.string());
  }
  return bisect::exit_code_for(end);
}

}  // namespace

Command add_bisect_command(CLI::App& parent) {
  auto a = std::make_shared<BisectArgs>();
  CLI::App* app = parent.add_subcommand(
      "bisect",
      "Find the commit that brought a flaky kernel bug: git bisect in --tree, each step built "
      "with `wedge kernel build` and run with `wedge run` until Wald's sequential test says "
      "good or bad. BAD is measured first: its most frequent bug is the one bisected, and only "
      "a finding of that bug (matched on its task stacks) counts as bad. Writes bisect.json "
      "and bisect.html after every run; the same command (or --resume DIR) continues.\n"
      "Exit: 0 found the first bad commit, 2 usage (or BAD does not fail), 125 could not "
      "test.");
  app->add_option("scenario", a->scenario, "scenario file, or the name of a built-in one");
  app->add_option("--good", a->good, "a commit without the bug");
  app->add_option("--bad", a->bad, "a commit with the bug");
  app->add_option("--tree", a->tree, "the kernel's git work tree (default: .)");
  app->add_option("--out", a->out,
                  "output folder: bisect.json, bisect.html, one folder of runs per commit "
                  "(default: ./wedge-bisect)");
  app->add_option("--resume", a->resume, "continue the bisect saved in this output folder");
  app->add_option("--alpha", a->alpha, "P(calling a good commit bad) (default 0.05)")
      ->check(CLI::Range(0.001, 0.5));
  app->add_option("--beta", a->beta, "P(calling a bad commit good) (default 0.05)")
      ->check(CLI::Range(0.001, 0.5));
  app->add_option("--max-runs-per-step", a->max_runs,
                  "runs after which a step decides by the closer bound (default 30)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--bad-runs", a->bad_runs,
                  "runs on BAD to measure its failure rate (default 6; fewer once 3 showed "
                  "one bug)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--accel", a->accel, "passed to every run: auto, kvm or tcg");
  app->add_option("--cache", a->cache, "passed to every run: image cache directory");
  app->add_option("--base", a->base,
                  "passed to every wedge kernel build: the config to start from (kept for "
                  "--resume)");
  app->add_flag("--builtin", a->builtin,
                "passed to every wedge kernel build: wedge's drivers built in (kept for "
                "--resume)");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
