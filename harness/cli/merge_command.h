// `wedge merge DIR... --out DIR`: combines the shard outputs of one matrix into one.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_merge_command(CLI::App& parent);
}
