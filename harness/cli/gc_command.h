// `wedge gc`: removes what dead wedges left behind (guests, servers, export images, temp dirs)
// and lists it; never touches what a live wedge owns or a guest kept with --keep-wedged.
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {
Command add_gc_command(CLI::App& parent);
}
