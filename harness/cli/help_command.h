// `wedge help workloads|faults`: prints the table of workload or fault kinds with their keys,
// written from the kinds' own declarations (the README's tables are the same text).
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_help_command(CLI::App& parent);
}
