// `wedge analyze CONSOLE_LOG [--json]`: findings from any saved console log.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_analyze_command(CLI::App& parent);
}
