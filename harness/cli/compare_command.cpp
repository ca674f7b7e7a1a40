// `wedge compare`: argument handling and output (text, compare.json, compare.html).
#include "harness/cli/compare_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/cli/output_root.h"
#include "harness/config/axis_settings.h"
#include "harness/config/matrix_file.h"
#include "harness/run/compare.h"
#include "harness/run/run_matrix.h"
#include "harness/util/files.h"
#include "reports/html.h"

namespace wedge::cli {

namespace {

struct CompareArgs {
  std::string matrix;
  std::string base;
  std::string candidate;
  std::vector<std::string> base_set;
  std::vector<std::string> candidate_set;
  std::string out;  // empty: ./wedge-compare (output_root.h)
  int repeat = 0;
  int parallel = 0;
  bool json = false;
  std::string accel;
  std::string cache;
};

std::string compare_html(const std::vector<run::CellComparison>& rows,
                         const run::CompareSides& sides) {
  using reports::html::escape;
  std::string body = fmt::format(
      "<h1>wedge compare</h1><p>base: <b>{}</b> · candidate: <b>{}</b></p><p>differs: {}</p>"
      "<table><tr><th>cell</th><th>base</th><th>candidate</th><th>p</th><th>change</th></tr>",
      escape(run::describe_side(sides.base)), escape(run::describe_side(sides.candidate)),
      escape(run::describe_difference(sides)));
  for (const auto& r : rows) {
    const char* css = r.result.change == run::Change::kRegressed ? "fail"
                      : r.result.change == run::Change::kFixed   ? "pass"
                                                                 : "";
    body += fmt::format(
        "<tr><td>{}</td><td><a href=\"base/report.html\">{}/{}</a></td><td><a "
        "href=\"candidate/report.html\">{}/{}</a></td><td>{:.4f}</td><td class=\"{}\">{}</td></tr>",
        escape(r.cell), r.base_failures, r.base_counted, r.candidate_failures, r.candidate_counted,
        r.result.p_value, css, run::to_string(r.result.change));
  }
  return reports::html::page("wedge compare", body + "</table>");
}

// --base K is --base-set kernel=K (and likewise for the candidate).
Result<std::vector<config::AxisSetting>> side_settings(const std::string& kernel,
                                                       const std::vector<std::string>& sets,
                                                       const std::string& option) {
  std::vector<config::AxisSetting> out;
  if (!kernel.empty()) out.push_back({"kernel", kernel});
  for (const auto& text : sets) {
    WEDGE_TRY(config::AxisSetting s, config::parse_axis_setting(text, option + "-set"));
    if (s.key == "kernel" && !kernel.empty()) {
      return make_error("{} {} and {}-set {} both set the kernel", option, kernel, option, text);
    }
    out.push_back(std::move(s));
  }
  return out;
}

int run(const CompareArgs& a) {
  auto base = side_settings(a.base, a.base_set, "--base");
  auto candidate = side_settings(a.candidate, a.candidate_set, "--candidate");
  for (const auto* s : {&base, &candidate}) {
    if (!*s) {
      fmt::print(stderr, "wedge compare: {}\n", s->error().message());
      return kExitUsage;
    }
  }
  run::CompareSides sides{*base, *candidate};
  auto matrix = config::load_matrix_or_scenario(a.matrix);
  if (!matrix) {
    fmt::print(stderr, "wedge compare: {}\n", matrix.error().message());
    return kExitUsage;
  }
  // Settings the matrix cannot take are usage errors, found before any guest boots.
  if (auto checked = run::compare_matrices(*matrix, sides); !checked) {
    fmt::print(stderr, "wedge compare: {}\n", checked.error().message());
    return kExitUsage;
  }
  std::optional<std::string> out = resolve_output_root(a.out, "wedge-compare", "wedge compare");
  if (!out) return kExitUsage;
  run::MatrixOptions o;
  o.out = *out;
  o.repeat = a.repeat;
  o.parallel = a.parallel;
  if (!a.accel.empty()) o.run_args = {"--accel", a.accel};
  if (!a.cache.empty()) o.run_args.insert(o.run_args.end(), {"--cache", a.cache});
  auto summaries = run::run_compare(*matrix, sides, o);
  if (!summaries) {
    fmt::print(stderr, "wedge compare: {}\n", summaries.error().message());
    return kExitCannotTest;
  }
  auto rows = run::compare_summaries(summaries->first, summaries->second);
  if (Status bugs = run::add_bug_rows(rows, std::filesystem::path(*out) / "base", summaries->first,
                                      std::filesystem::path(*out) / "candidate", summaries->second);
      !bugs) {
    // The cells' rates stand without the per-bug rows; say why they are missing.
    fmt::print(stderr, "wedge compare: per-bug rates left out: {}\n", bugs.error().message());
  }
  auto json = run::compare_json(rows, sides);
  Status written =
      write_file_atomic(std::filesystem::path(*out) / "compare.json", json.dump(2) + "\n");
  if (written) {
    written =
        write_file_atomic(std::filesystem::path(*out) / "compare.html", compare_html(rows, sides));
  }
  if (!written) {
    fmt::print(stderr, "wedge compare: {}\n", written.error().message());
    return kExitCannotTest;
  }
  fmt::print("{}", a.json ? json.dump(2) + "\n" : run::compare_text(rows, sides));
  return run::any_regressed(rows) ? kExitKernelFailed : kExitPass;
}

}  // namespace

Command add_compare_command(CLI::App& parent) {
  auto a = std::make_shared<CompareArgs>();
  CLI::App* app = parent.add_subcommand(
      "compare",
      "Run two variants of a matrix (a base and a candidate kernel, or any axis set differently "
      "on each side), interleaved, and classify each cell from the two failure rates (Fisher's "
      "exact test: regressed/fixed at p < 0.05, inconclusive at p < 0.5, else no change).\n"
      "Exit: 1 when any cell regressed, else 0; 2 usage; 125 infra.");
  app->add_option("matrix", a->matrix, "matrix file, or a scenario (file or built-in name)")
      ->required();
  app->add_option(
      "--base", a->base,
      "base kernel (bzImage, `wedge kernel build` folder or built tree: a whole kernel with its "
      "modules and System.map; \"default\" or \"debian-amd64\"); default: each "
      "scenario's own, on both sides");
  app->add_option("--candidate", a->candidate, "candidate kernel (default: each scenario's own)");
  app->add_option("--base-set", a->base_set,
                  "KEY=VALUE set on the base side only, as if the matrix's axis held only VALUE "
                  "(repeatable). Keys: kernel, memory_mib, transport, fault (scenario, none or a "
                  "[fault.NAME] of the matrix), sysctl (default, a [sysctl.NAME] or "
                  "vm.KEY=N,...)")
      ->allow_extra_args(false);
  app->add_option("--candidate-set", a->candidate_set,
                  "KEY=VALUE set on the candidate side only (repeatable; keys as --base-set)")
      ->allow_extra_args(false);
  app->add_option("--out", a->out,
                  "output root: base/, candidate/, compare.json, compare.html (default: "
                  "./wedge-compare)");
  app->add_option("--repeat", a->repeat, "runs per cell and side (default: the file's)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--parallel", a->parallel, "guests at a time")->check(CLI::Range(1, 64));
  app->add_option("--accel", a->accel, "passed to every run: auto, kvm or tcg");
  app->add_option("--cache", a->cache, "passed to every run: image cache directory");
  app->add_flag("--json", a->json, "print compare.json instead of the table");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
