// `wedge matrix`: argument handling and the per-cell text summary; the work is run/run_matrix.h.
#include "harness/cli/matrix_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/cli/matrix_output.h"
#include "harness/cli/output_root.h"
#include "harness/config/matrix_file.h"
#include "harness/run/run_matrix.h"

namespace wedge::cli {

namespace {

struct MatrixArgs {
  std::string file;
  std::string out;  // empty: ./wedge-matrix (output_root.h)
  int parallel = 0;
  std::string shard;
  int repeat = 0;
  std::vector<std::string> kernels;
  std::string baseline;
  std::string pushgateway;
  std::string accel;
  std::string cache;
  bool verbose = false;
};

int run(const MatrixArgs& a) {
  auto matrix = config::load_matrix(a.file);
  if (!matrix) {
    fmt::print(stderr, "wedge matrix: {}\n", matrix.error().message());
    return kExitUsage;
  }
  if (!a.kernels.empty()) matrix->kernels = a.kernels;
  if (auto cells = config::expand_matrix(*matrix); !cells) {
    fmt::print(stderr, "wedge matrix: {}\n", cells.error().message());
    return kExitUsage;
  }
  std::optional<std::string> out = resolve_output_root(a.out, "wedge-matrix", "wedge matrix");
  if (!out) return kExitUsage;
  run::MatrixOptions o;
  o.out = *out;
  o.parallel = a.parallel;
  o.repeat = a.repeat;
  o.kernels = a.kernels;
  o.baseline = a.baseline;
  o.pushgateway = a.pushgateway;
  if (!a.shard.empty()) {
    auto shard = run::parse_shard(a.shard);
    if (!shard) {
      fmt::print(stderr, "wedge matrix: {}\n", shard.error().message());
      return kExitUsage;
    }
    o.shard = *shard;
  }
  if (!a.accel.empty()) o.run_args = {"--accel", a.accel};
  if (!a.cache.empty()) o.run_args.insert(o.run_args.end(), {"--cache", a.cache});
  o.log = [&a](const std::string& line) {
    if (a.verbose) fmt::print(stderr, "[matrix] {}\n", line);
  };
  auto summary = run::run_matrix(*matrix, o);
  if (!summary) {
    fmt::print(stderr, "wedge matrix: {}\n", summary.error().message());
    return kExitCannotTest;
  }
  print_summary(*summary, *out);
  return summary_exit_code(*summary);
}

}  // namespace

Command add_matrix_command(CLI::App& parent) {
  auto a = std::make_shared<MatrixArgs>();
  CLI::App* app = parent.add_subcommand(
      "matrix",
      "Run every cell of a matrix file (scenarios x kernel, memory, transport, fault, sysctl), "
      "each `repeat` times, N guests at a time.\nWrites DIR/summary.json, report.html, junit.xml, "
      "metrics.prom, findings.json and runs/<cell>/r<k>/.\nExit: 0 every run passed, 1 a kernel "
      "failed, 2 usage, 125 nothing could be tested.");
  app->add_option("file", a->file, "matrix file (TOML)")->required();
  app->add_option("--out", a->out, "output root (default: ./wedge-matrix)");
  app->add_option("--parallel", a->parallel, "guests at a time (default: cores, bounded by memory)")
      ->check(CLI::Range(1, 64));
  app->add_option("--shard", a->shard, "run only shard I of N (1-based), e.g. 2/4");
  app->add_option("--repeat", a->repeat, "runs per cell (default: the file's repeat)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--kernel", a->kernels, "kernel(s) to cross instead of the file's kernel axis");
  app->add_option("--baseline", a->baseline, "a previous summary.json: mark findings new since it");
  app->add_option("--pushgateway", a->pushgateway, "push metrics.prom to this Pushgateway URL");
  app->add_option("--accel", a->accel, "passed to every run: auto, kvm or tcg");
  app->add_option("--cache", a->cache, "passed to every run: image cache directory");
  app->add_flag("-v,--verbose", a->verbose, "print each run as it starts and ends");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
