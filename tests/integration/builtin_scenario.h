// A built-in scenario (workloads/scenarios/NAME.toml) with some keys set otherwise, written
// into a test's folder: the suite proves the same scenario with a smaller hog or export so
// that CI stays short, while the file users run keeps its full size. Needs WEDGE_SOURCE_DIR.
//
//   fs::path s = test::builtin_with("nfs-swap-hog", dir(), {{"workload.size_mib", 400}});
#pragma once

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace wedge::test {

// Keys are "table.key" (one level, as scenarios are written). A key that the built-in file
// does not hold fails the test: an override must never add a setting by accident.
inline std::filesystem::path builtin_with(
    const std::string& name, const std::filesystem::path& folder,
    const std::vector<std::pair<std::string, int64_t>>& keys) {
  const auto source =
      std::filesystem::path(WEDGE_SOURCE_DIR) / "workloads" / "scenarios" / (name + ".toml");
  toml::table scenario;
  try {
    scenario = toml::parse_file(source.string());
  } catch (const toml::parse_error& e) {
    ADD_FAILURE() << source << ": " << e.description();
    return source;
  }
  for (const auto& [dotted, value] : keys) {
    const auto dot = dotted.find('.');
    toml::table* table = scenario[dotted.substr(0, dot)].as_table();
    const std::string key = dotted.substr(dot + 1);
    if (dot == std::string::npos || table == nullptr || !table->contains(key)) {
      ADD_FAILURE() << name << " has no key " << dotted;
      continue;
    }
    table->insert_or_assign(key, value);
  }
  const auto written = folder / (name + ".toml");
  std::ofstream(written) << scenario << '\n';
  return written;
}

}  // namespace wedge::test
