// `wedge doctor`: checks every prerequisite and says how to fix what is missing.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_doctor_command(CLI::App& parent);
}
