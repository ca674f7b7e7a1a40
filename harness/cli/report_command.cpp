// `wedge report`: a matrix root (summary.json) or a run dir (report.json) -> its reports.
#include "harness/cli/report_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/config/matrix_file.h"
#include "harness/run/pushgateway.h"
#include "harness/run/run_matrix.h"
#include "reports/registry.h"
#include "reports/run_reader.h"

namespace wedge::cli {

namespace {

struct ReportArgs {
  std::string dir;
  std::string pushgateway;
};

int run(const ReportArgs& a) {
  std::filesystem::path dir = a.dir;
  std::error_code ec;
  if (std::filesystem::exists(dir / "summary.json", ec)) {
    auto summary = reports::read_summary(dir / "summary.json");
    Status done = summary ? run::write_reports(*summary, dir) : Status(summary.error());
    if (done && !a.pushgateway.empty()) {
      done =
          run::push_metrics(a.pushgateway, config::cell_token(summary->name), dir / "metrics.prom");
    }
    if (!done) {
      fmt::print(stderr, "wedge report: {}\n", done.error().message());
      return kExitCannotTest;
    }
    fmt::print("{}\n", (dir / "report.html").string());
    return kExitPass;
  }
  auto record = reports::read_run(dir);
  if (!record) {
    fmt::print(stderr,
               "wedge report: {} holds neither summary.json nor a readable report.json: {}\n",
               a.dir, record.error().message());
    return kExitUsage;
  }
  Status done = reports::write_derived_run_reports(record->report, dir);
  if (!done) {
    fmt::print(stderr, "wedge report: {}\n", done.error().message());
    return kExitCannotTest;
  }
  fmt::print("{}\n", (dir / "report.html").string());
  return kExitPass;
}

}  // namespace

Command add_report_command(CLI::App& parent) {
  auto a = std::make_shared<ReportArgs>();
  CLI::App* app = parent.add_subcommand(
      "report", "Regenerate the reports of a finished run directory or matrix output root.");
  app->add_option("dir", a->dir, "run directory or matrix output root")->required();
  app->add_option("--pushgateway", a->pushgateway, "also push a matrix's metrics.prom here");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
