// The README's tables of kinds and their keys are written from the kinds' own declarations:
// this test fails when a table between its <!-- NAME:begin --> and <!-- NAME:end --> markers
// differs from what the declarations give, and `wedge help` prints the same text.
// WEDGE_WRITE_README=1 rewrites the tables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "harness/config/fault_kind.h"
#include "harness/config/workload_kind.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

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

// What `wedge help TOPIC` prints.
std::string help(const std::string& topic) {
  auto out = run_command({WEDGE_BINARY, "help", topic}, std::chrono::seconds(30));
  if (!out) return out.error().message();
  if (!out->status.success()) return out->status.describe() + ": " + out->err;
  return out->out;
}

TEST(KindDocs, ReadmeFaultTableIsTheDeclarations) {
  expect_table("fault-kinds", config::fault_kinds_markdown());
  EXPECT_EQ(help("faults"), config::fault_kinds_markdown());
}

TEST(KindDocs, ReadmeWorkloadTableIsTheDeclarations) {
  expect_table("workload-kinds", config::workload_kinds_markdown());
  EXPECT_EQ(help("workloads"), config::workload_kinds_markdown());
}

// A key declared once shows in the table with its default and doc line; every kind has a row.
TEST(KindDocs, WorkloadTableShowsEachDeclaredKey) {
  const std::string table = config::workload_kinds_markdown();
  for (config::WorkloadKind kind : config::kWorkloadKinds) {
    const config::WorkloadKindSpec& spec = config::workload_kind(kind);
    EXPECT_EQ(spec.kind, kind) << config::name_of(kind);
    EXPECT_NE(table.find(fmt::format("| `{}` |", config::name_of(kind))), std::string::npos);
    for (const config::WorkloadKeySpec& key : spec.keys) {
      EXPECT_NE(table.find(config::describe_workload_key(key) + ": " + key.doc), std::string::npos)
          << key.key;
    }
  }
  EXPECT_NE(table.find("`processes` (default 4): processes mapping and writing at once"),
            std::string::npos);
  EXPECT_NE(table.find("`size_mib` (default 2x guest RAM)"), std::string::npos);
  EXPECT_NE(table.find("`job` (a file)"), std::string::npos);
}

}  // namespace
}  // namespace wedge
