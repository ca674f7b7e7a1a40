// Reading recorded inputs under tests/testdata in unit tests: a file whole, or a console
// recording's body (what follows its "# ---" header line). A missing file fails the test.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "harness/util/files.h"

namespace wedge::testing {

inline std::string testdata(std::string_view relative) {
  auto text = read_file(std::string(WEDGE_TESTDATA_DIR) + "/" + std::string(relative));
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error().message());
  return text.ok() ? *text : std::string();
}

// tests/testdata/console/<name> without its "# expect:"/"# absent:" header.
inline std::string console_recording(std::string_view name) {
  std::string text = testdata("console/" + std::string(name));
  size_t end = text.find("# ---\n");
  return end == std::string::npos ? text : text.substr(end + 6);
}

}  // namespace wedge::testing
