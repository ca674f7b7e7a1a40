// `wedge run SCENARIO`: one run of a scenario against a kernel, with a report.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_run_command(CLI::App& parent);
}
