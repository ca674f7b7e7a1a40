// The README's tables of kinds and their keys are written from the kinds' own declarations:
// this test fails when a table between its <!-- NAME:begin --> and <!-- NAME:end --> markers
// differs from what the declarations give. WEDGE_WRITE_README=1 rewrites the tables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "harness/config/fault_kind.h"
#include "harness/util/files.h"

namespace wedge {
namespace {

void expect_table(const std::string& name, const std::string& table) {
  const std::string path = std::string(WEDGE_SOURCE_DIR) + "/README.md";
  auto readme = read_file(path);
  ASSERT_TRUE(readme.ok()) << readme.error().message();
  const std::string begin = "<!-- " + name + ":begin -->\n";
  const std::string end = "<!-- " + name + ":end -->";
  size_t from = readme->find(begin);
  size_t to = readme->find(end);
  ASSERT_NE(from, std::string::npos) << "README.md has no " << begin;
  ASSERT_NE(to, std::string::npos) << "README.md has no " << end;
  from += begin.size();
  if (std::getenv("WEDGE_WRITE_README")) {
    std::string text = *readme;
    text.replace(from, to - from, table);
    ASSERT_TRUE(write_file_atomic(path, text).ok());
    return;
  }
  EXPECT_EQ(readme->substr(from, to - from), table);
}

TEST(KindDocs, ReadmeFaultTableIsTheDeclarations) {
  expect_table("fault-kinds", config::fault_kinds_markdown());
}

}  // namespace
}  // namespace wedge
