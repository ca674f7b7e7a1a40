// Loads and strictly validates scenario files: unknown keys, wrong types and impossible
// values are errors that name the file and line, so a typo never silently changes a run.
//
//   WEDGE_TRY(config::Scenario s, config::load_scenario("workloads/scenarios/nbd-swap-hog.toml"));
//   // error text: "my.toml:7: [guest] memory_mib = 16: must be between 64 and 65536"
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/util/result.h"

namespace wedge::config {

struct LoadOptions {
  // [workload] files may name files outside the scenario file's folder (--allow-outside-files).
  bool allow_outside_files = false;
  // A whole scenario, not a fragment: without [workload] (an empty file too) it is an error.
  // load_scenario always asks for this.
  bool require_workload = false;
};

// Parses scenario text; source_name is used in error messages and to resolve relative paths
// (of workload.files) against its directory. A name missing from the text comes from the file
// name, made valid.
[[nodiscard]] Result<Scenario> parse_scenario(std::string_view text,
                                              const std::filesystem::path& source_name,
                                              const LoadOptions& options = {});

// Loads a scenario file: a whole scenario (options.require_workload is implied).
[[nodiscard]] Result<Scenario> load_scenario(const std::filesystem::path& path,
                                             const LoadOptions& options = {});

// Resolves a scenario argument: an existing file path, or the name of a built-in scenario
// ("nbd-swap-hog" -> <scenario dir>/nbd-swap-hog.toml).
[[nodiscard]] Result<std::filesystem::path> find_scenario(const std::string& name_or_path);

// The directory holding built-in scenarios ($WEDGE_SCENARIO_DIR, else the source tree's).
[[nodiscard]] std::filesystem::path builtin_scenario_dir();
[[nodiscard]] std::vector<std::string> builtin_scenario_names();

// The scenario as TOML, for the run directory ("the scenario as run").
[[nodiscard]] std::string to_toml(const Scenario& scenario);

}  // namespace wedge::config
