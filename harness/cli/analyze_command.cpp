// `wedge analyze`: reads a console log (a run's console.log, a dmesg, a bug report), runs the
// same parser and verdict rules as `wedge run`, prints findings as text or JSON.
#include "harness/cli/analyze_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/cli/analysis_output.h"
#include "harness/detect/analyze.h"

namespace wedge::cli {

namespace {

struct AnalyzeArgs {
  std::string log;
  bool json = false;
  bool oom_ok = false;
};

int analyze(const AnalyzeArgs& args) {
  // Streamed: a log of any size is analysed in bounded memory.
  auto analysis = detect::analyze_console_file(args.log, {.oom_ok = args.oom_ok});
  if (!analysis) {
    fmt::print(stderr, "wedge analyze: {}\n", analysis.error().message());
    return kExitUsage;
  }
  return print_analysis(*analysis, args.json);
}

}  // namespace

Command add_analyze_command(CLI::App& parent) {
  auto args = std::make_shared<AnalyzeArgs>();
  CLI::App* app = parent.add_subcommand(
      "analyze",
      "Find hangs, crashes, OOM kills and I/O errors in a saved console log (a run's "
      "console.log, a dmesg, a bug report) with the same rules as `wedge run`.\nExit: 0 no "
      "findings, 1 findings, 2 unreadable log.");
  app->add_option("console_log", args->log, "the log file")->required();
  app->add_flag("--json", args->json, "print {verdict, reason, findings} as JSON");
  app->add_flag("--oom-ok", args->oom_ok, "OOM kills are acceptable, not findings");
  return Command{app, [args] { return analyze(*args); }};
}

}  // namespace wedge::cli
