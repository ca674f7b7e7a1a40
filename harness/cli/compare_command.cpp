// `wedge compare`: argument handling and output (text, compare.json, compare.html).
#include "harness/cli/compare_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/config/matrix.h"
#include "harness/run/compare.h"
#include "harness/run/matrix.h"
#include "harness/util/files.h"
#include "reports/html.h"

namespace wedge::cli {

namespace {

struct CompareArgs {
  std::string matrix;
  std::string base;
  std::string candidate;
  std::string out = "wedge-compare";
  int repeat = 0;
  int parallel = 0;
  bool json = false;
  std::string accel;
  std::string cache;
};

std::string compare_html(const std::vector<run::CellComparison>& rows, const CompareArgs& a) {
  std::string body = fmt::format(
      "<h1>wedge compare</h1><p>base {} · candidate {}</p><table>"
      "<tr><th>cell</th><th>base</th><th>candidate</th><th>p</th>"
      "<th>change</th></tr>",
      reports::html::escape(a.base), reports::html::escape(a.candidate));
  for (const auto& r : rows) {
    const char* css = r.result.change == run::Change::kRegressed ? "fail"
                      : r.result.change == run::Change::kFixed   ? "pass"
                                                                 : "";
    body += fmt::format(
        "<tr><td>{}</td><td><a href=\"base/report.html\">{}/{}</a></td><td><a "
        "href=\"candidate/report.html\">{}/{}</a></td><td>{:.4f}</td><td class=\"{}\">{}</td></tr>",
        reports::html::escape(r.cell), r.base_failures, r.base_counted, r.candidate_failures,
        r.candidate_counted, r.result.p_value, css, run::to_string(r.result.change));
  }
  return reports::html::page("wedge compare", body + "</table>");
}

int run(const CompareArgs& a) {
  auto matrix = config::load_matrix_or_scenario(a.matrix);
  if (!matrix) {
    fmt::print(stderr, "wedge compare: {}\n", matrix.error().message());
    return kExitUsage;
  }
  run::MatrixOptions o;
  o.out = a.out;
  o.repeat = a.repeat;
  o.parallel = a.parallel;
  if (!a.accel.empty()) o.run_args = {"--accel", a.accel};
  if (!a.cache.empty()) o.run_args.insert(o.run_args.end(), {"--cache", a.cache});
  auto sides = run::run_compare(*matrix, a.base, a.candidate, o);
  if (!sides) {
    fmt::print(stderr, "wedge compare: {}\n", sides.error().message());
    return kExitCannotTest;
  }
  auto rows = run::compare_summaries(sides->first, sides->second);
  auto json = run::compare_json(rows, a.base, a.candidate);
  Status written =
      write_file_atomic(std::filesystem::path(a.out) / "compare.json", json.dump(2) + "\n");
  if (written) {
    written =
        write_file_atomic(std::filesystem::path(a.out) / "compare.html", compare_html(rows, a));
  }
  if (!written) {
    fmt::print(stderr, "wedge compare: {}\n", written.error().message());
    return kExitCannotTest;
  }
  fmt::print("{}", a.json ? json.dump(2) + "\n" : run::compare_text(rows));
  return run::any_regressed(rows) ? kExitKernelFailed : kExitPass;
}

}  // namespace

Command add_compare_command(CLI::App& parent) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* app = parent.add_subcommand(
      "compare",
      "Run a matrix on a base and a candidate kernel, interleaved, and classify each cell from "
      "the two failure rates (Fisher's exact test: regressed/fixed at p < 0.05, inconclusive at "
      "p < 0.5, else no change).\nExit: 1 when any cell regressed, else 0; 2 usage; 125 infra.");
  app->add_option("matrix", a->matrix, "matrix file, or a scenario (file or built-in name)")
      ->required();
  app->add_option("--base", a->base, "base kernel (bzImage, \"default\" or \"debian-amd64\")")
      ->required();
  app->add_option("--candidate", a->candidate, "candidate kernel")->required();
  app->add_option("--out", a->out, "output root (base/, candidate/, compare.json, compare.html)");
  app->add_option("--repeat", a->repeat, "runs per cell and kernel (default: the file's)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--parallel", a->parallel, "guests at a time")->check(CLI::Range(1, 64));
  app->add_option("--accel", a->accel, "passed to every run: auto, kvm or tcg");
  app->add_option("--cache", a->cache, "passed to every run: image cache directory");
  app->add_flag("--json", a->json, "print compare.json instead of the table");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
