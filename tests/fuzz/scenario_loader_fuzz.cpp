// libFuzzer target: the strict TOML scenario loader on arbitrary text; a scenario it accepts
// must survive being written back out and loaded again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "harness/config/load_scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto scenario = wedge::config::parse_scenario(text, "fuzz.toml");
  if (scenario) {
    auto again = wedge::config::parse_scenario(wedge::config::to_toml(*scenario), "again.toml");
    if (!again) std::abort();  // what we write we must be able to read
  }
  return 0;
}
