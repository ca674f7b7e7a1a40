// What a matrix file holds: scenarios crossed with axes (kernel, memory, transport, fault,
// sysctl), as loaded from its TOML, and its expansion into cells (one scenario as run each).
//
//   WEDGE_TRY(config::Matrix m, config::load_matrix("ci/nightly.toml"));
//   WEDGE_TRY(std::vector<config::Cell> cells, config::expand_matrix(m));  // cells[i].id, .toml
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge::config {

// Named fault sets and sysctl sets the `fault` and `sysctl` axes refer to. The names
// "scenario" (faults as the scenario file has them), "none" (no faults) and "default" (no
// sysctl overrides) are built in.
struct Matrix {
  std::string name;
  // Built-in names or files (relative to the matrix file); "*" stands for every built-in one.
  std::vector<std::string> scenarios;
  std::vector<std::string> kernels;  // empty: each scenario's own
  std::vector<int> memory_mib;       // empty: each scenario's own
  std::vector<std::string> transports;
  std::vector<std::string> faults;                             // fault set names
  std::vector<std::string> sysctls;                            // sysctl set names
  std::map<std::string, std::vector<std::string>> fault_sets;  // name -> [[fault]] tables (TOML)
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> sysctl_sets;
  int repeat = 1;
  std::filesystem::path source;
  // The scenarios' [workload] files may lie outside their folders (run --allow-outside-files).
  bool allow_outside_files = false;
};

// One point of the matrix: a scenario with the axis values applied, ready to run.
struct Cell {
  int index = 0;         // position in expansion order (sharding and merging key on it)
  std::string id;        // "nbd-swap-hog.kernel-default.mem-128": unique, usable as a dir name
  std::string scenario;  // the scenario's name
  std::filesystem::path scenario_file;
  std::vector<std::pair<std::string, std::string>> axes;    // the axes this matrix varies
  std::vector<std::pair<std::string, std::string>> labels;  // scenario, kernel, transport, workload
  std::string toml;  // the cell's scenario as run (validated by the scenario loader)
  int duration_s = 0;
};

[[nodiscard]] Result<Matrix> parse_matrix(std::string_view text,
                                          const std::filesystem::path& source_name);
[[nodiscard]] Result<Matrix> load_matrix(const std::filesystem::path& path);

// A matrix of one scenario (a file or built-in name) and no axes: `wedge run --repeat`.
[[nodiscard]] Matrix matrix_of_scenario(const std::filesystem::path& scenario_file);

// A matrix file, or else a scenario given by file or built-in name.
[[nodiscard]] Result<Matrix> load_matrix_or_scenario(const std::string& name_or_path);

// Every combination of scenario x kernel x memory x transport x fault x sysctl, in that nesting
// order; errors name the scenario and the axis values that made it invalid.
[[nodiscard]] Result<std::vector<Cell>> expand_matrix(const Matrix& matrix);

// A value as a file-name-safe token: "/boot/vmlinuz-6.1" -> "vmlinuz-6.1". A long one keeps its
// first 16 characters and a hash of the whole value ("e70f3786477ddeb5-9c1d2e3f" for a `wedge
// kernel build` folder named by its 64-digit key), so run folders stay short enough for the
// unix sockets inside them.
[[nodiscard]] std::string cell_token(const std::string& value);

}  // namespace wedge::config
