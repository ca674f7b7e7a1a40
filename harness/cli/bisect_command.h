// `wedge bisect --good REV --bad REV SCENARIO [--tree DIR]`: git bisect driven by Wald's SPRT on
// the rate of BAD's bug (harness/bisect/), with bisect.json and bisect.html in --out.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_bisect_command(CLI::App& parent);
}
