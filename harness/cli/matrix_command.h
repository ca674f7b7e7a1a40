// `wedge matrix FILE`: every cell of a matrix file, repeated, N guests at a time, with a summary
// and reports (summary.json, report.html, junit.xml, metrics.prom).
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_matrix_command(CLI::App& parent);
}
