// `wedge findings [--json] [ROOT]`: the findings store of an output root, newest first.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_findings_command(CLI::App& parent);
}
