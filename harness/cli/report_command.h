// `wedge report DIR`: regenerates the reports of a finished run directory or matrix output
// root from its files (report.html per run; summary.json, report.html, junit.xml, metrics.prom).
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_report_command(CLI::App& parent);
}
