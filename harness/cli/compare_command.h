// `wedge compare --base A --candidate B MATRIX`: both kernels on one matrix, interleaved, and
// per cell regressed / fixed / no change / inconclusive with Fisher's exact p-value.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_compare_command(CLI::App& parent);
}
