// How a subcommand plugs into the wedge CLI: each cli/<name>_command.cpp defines a function
// that registers its options on the parent app and returns what to run if it was chosen.
//
//   Command add_image_command(CLI::App& parent);   // in image_command.cpp
//   // main.cpp: for each command, if (cmd.app->parsed()) return cmd.run();
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace wedge::cli {

// Exit codes, chosen for `git bisect run` and CI.
inline constexpr int kExitPass = 0;          // the kernel passed
inline constexpr int kExitKernelFailed = 1;  // a finding: hang, crash, unexpected OOM, I/O error
inline constexpr int kExitUsage = 2;         // bad arguments or scenario file
inline constexpr int kExitCannotTest = 125;  // wedge could not test (infra error)

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the process exit code
};

}  // namespace wedge::cli
