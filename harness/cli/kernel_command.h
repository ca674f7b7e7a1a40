// `wedge kernel config|build`: from a kernel source tree to a config, and to a cached build
// folder (bzImage, System.map, .config, staged modules) that every --kernel accepts.
//
//   Command add_kernel_command(CLI::App& parent);   // main.cpp registers it
#pragma once

#include "harness/cli/command.h"

namespace wedge::cli {

[[nodiscard]] Command add_kernel_command(CLI::App& parent);

}  // namespace wedge::cli
