// Every built-in scenario loads to the same config as before the kinds declared their own keys:
// its to_toml text and each fault's faults.jsonl params are compared with the recording in
// tests/testdata/scenarios/as_run/<name>.toml. WEDGE_WRITE_GOLDEN=1 rewrites the recordings
// (only when a change of the scenario format is intended).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "harness/config/load_scenario.h"
#include "harness/faults/fault_log.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge {
namespace {

// The scenario folder's absolute path differs between checkouts; recordings name it <scenarios>.
std::string without_checkout(std::string text) {
  const std::string dir = config::builtin_scenario_dir().string();
  for (size_t at = text.find(dir); at != std::string::npos; at = text.find(dir, at)) {
    text.replace(at, dir.size(), "<scenarios>");
  }
  return text;
}

std::string as_run(const config::Scenario& s) {
  std::string out = config::to_toml(s);
  for (const config::FaultConfig& f : s.faults) {
    out += "# faults.jsonl params: " + faults::fault_params_json(f) + "\n";
  }
  return without_checkout(out);
}

TEST(ScenarioGolden, EveryBuiltinScenarioLoadsAsRecorded) {
  const auto names = config::builtin_scenario_names();
  ASSERT_GE(names.size(), 24u);
  const bool write = std::getenv("WEDGE_WRITE_GOLDEN") != nullptr;
  for (const std::string& name : names) {
    auto path = config::find_scenario(name);
    ASSERT_TRUE(path.ok()) << path.error().message();
    auto s = config::load_scenario(*path);
    ASSERT_TRUE(s.ok()) << s.error().message();
    const std::string relative = "scenarios/as_run/" + name + ".toml";
    if (write) {
      ASSERT_TRUE(
          write_file_atomic(std::string(WEDGE_TESTDATA_DIR) + "/" + relative, as_run(*s)).ok());
      continue;
    }
    EXPECT_EQ(as_run(*s), testing::testdata(relative)) << name;
  }
}

}  // namespace
}  // namespace wedge
