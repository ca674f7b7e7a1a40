// The wedge CLI entry point: registers the subcommands and dispatches. No logic beyond that.
#include <CLI/CLI.hpp>
#include <vector>

#include "harness/cli/analyze_command.h"
#include "harness/cli/analyze_dump_command.h"
#include "harness/cli/bisect_command.h"
#include "harness/cli/command.h"
#include "harness/cli/compare_command.h"
#include "harness/cli/doctor_command.h"
#include "harness/cli/findings_command.h"
#include "harness/cli/gc_command.h"
#include "harness/cli/help_command.h"
#include "harness/cli/image_command.h"
#include "harness/cli/kernel_command.h"
#include "harness/cli/matrix_command.h"
#include "harness/cli/merge_command.h"
#include "harness/cli/report_command.h"
#include "harness/cli/run_command.h"
#include "harness/util/owner.h"

int main(int argc, char** argv) {
  using namespace wedge::cli;
  CLI::App app{
      "wedge: boots real kernels under libvirt with swap and filesystems on network storage,\n"
      "squeezes memory, injects faults, detects hangs and collects the evidence.\n"
      "Exit codes: 0 pass, 1 the kernel failed, 2 usage error, 125 could not test."};
  app.set_version_flag("--version", WEDGE_VERSION);
  app.require_subcommand(1);
  std::vector<Command> commands = {add_run_command(app),     add_doctor_command(app),
                                   add_gc_command(app),      add_image_command(app),
                                   add_analyze_command(app), add_analyze_dump_command(app)};
  commands.push_back(add_matrix_command(app));
  commands.push_back(add_merge_command(app));
  commands.push_back(add_compare_command(app));
  commands.push_back(add_findings_command(app));
  commands.push_back(add_report_command(app));
  commands.push_back(add_bisect_command(app));
  commands.push_back(add_kernel_command(app));
  commands.push_back(add_help_command(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  // Every child (servers, their forks, tools) carries our identity, so `wedge gc` can tell
  // whether its owner is still alive.
  wedge::mark_children_as_ours();
  for (auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return kExitUsage;
}
