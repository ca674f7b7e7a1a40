// nbdkit's command line for the scenario's faults (filters and their parameters), and where
// the run-time controls of those filters live: the pause filter's socket, the rate filter's
// rate-file, the error filter's error-file.
//
//   storage::NbdkitControls c = storage::nbdkit_controls_for(scenario.faults, run_dir);
//   options.nbdkit_filters = c.filters;  options.nbdkit_params = c.params;
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/config/scenario.h"

namespace wedge::storage {

struct NbdkitControls {
  std::vector<std::string> filters;    // --filter=NAME, in order
  std::vector<std::string> params;     // key=value parameters for those filters
  std::filesystem::path pause_socket;  // pause filter's control socket, or empty
  std::filesystem::path rate_file;     // rate filter's rate-file (bits/s), or empty
  std::filesystem::path error_file;    // error filter's error-file (errors while it exists)
};

// Filters for server-stall via pause, rate via nbdkit and error faults (none needed: empty),
// with their control files in control_dir. Nothing is created.
[[nodiscard]] NbdkitControls nbdkit_controls_for(const std::vector<config::FaultConfig>& faults,
                                                 const std::filesystem::path& control_dir);

}  // namespace wedge::storage
