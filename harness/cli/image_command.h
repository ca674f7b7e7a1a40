// `wedge image build`: builds (or finds in the cache) a guest image and prints a summary.
//
//   Command image = add_image_command(app);   // main.cpp
#pragma once

#include <CLI/CLI.hpp>

#include "harness/cli/command.h"

namespace wedge::cli {

// Registers `image` and its `build` subcommand on parent.
Command add_image_command(CLI::App& parent);

}  // namespace wedge::cli
