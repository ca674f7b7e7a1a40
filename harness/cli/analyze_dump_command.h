// `wedge analyze-dump DUMP`: extracts the full kernel log and every task's state from a guest
// memory dump with `crash`, then runs the same analysis as `wedge analyze` on that log.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {

Command add_analyze_dump_command(CLI::App& parent);

}  // namespace wedge::cli
