// Unit tests of the workload kinds' key declarations (config/workload_kind.h): every key a kind
// declares is read, typed and written back by to_toml from that one declaration; a value of the
// wrong type, a key of another kind and an unknown key are errors with the file and line.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "harness/config/load_scenario.h"
#include "harness/config/workload_kind.h"
#include "harness/util/files.h"

namespace wedge::config {
namespace {

std::string error_of(std::string_view text) {
  auto s = parse_scenario(text, "t.toml");
  return s.ok() ? "(loaded)" : s.error().message();
}

// A value of the key's type that is not its default, as TOML.
std::string other_value(const WorkloadKeySpec& key, const std::string& host_file) {
  switch (key.type) {
    case WorkloadKeyType::kInt:
      return std::to_string(key.default_value == key.max ? key.min : key.max);
    case WorkloadKeyType::kBool:
      return key.default_value.value_or(0) ? "false" : "true";
    case WorkloadKeyType::kStrings:
      return "[\"-x\", \"{mount}\"]";
    case WorkloadKeyType::kPath:
      return "\"" + host_file + "\"";
    case WorkloadKeyType::kPaths:
      return "[\"" + host_file + "\"]";
  }
  return "";
}

// What the loaded scenario holds for key, through the typed reads the kinds use.
std::string held(const WorkloadConfig& w, const WorkloadKeySpec& key) {
  switch (key.type) {
    case WorkloadKeyType::kInt:
      return std::to_string(w.number(key.key));
    case WorkloadKeyType::kBool:
      return w.flag(key.key) ? "true" : "false";
    case WorkloadKeyType::kStrings:
      return fmt::format("{}", fmt::join(w.strings(key.key), " "));
    case WorkloadKeyType::kPath:
      return w.path(key.key).string();
    case WorkloadKeyType::kPaths:
      return w.paths(key.key).empty() ? "" : w.paths(key.key).front().string();
  }
  return "";
}

TEST(WorkloadKeys, EveryDeclaredKeyIsReadAndWrittenBackFromItsDeclaration) {
  auto dir = TempDir::create("wedge-workload-keys-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "input", "x\n").ok());
  const std::filesystem::path scenario = dir->path() / "s.toml";
  int keys = 0;
  for (WorkloadKind kind : kWorkloadKinds) {
    for (const WorkloadKeySpec& key : workload_kind(kind).keys) {
      ++keys;
      const std::string text = fmt::format("[workload]\nkind = \"{}\"\n{} = {}\n", name_of(kind),
                                           key.key, other_value(key, "input"));
      auto s = parse_scenario(text, scenario);
      ASSERT_TRUE(s.ok()) << s.error().message() << "\n" << text;
      EXPECT_EQ(s->workload.line_of(key.key), 3) << key.key;
      const std::string value = held(s->workload, key);
      if (key.type == WorkloadKeyType::kPath || key.type == WorkloadKeyType::kPaths) {
        EXPECT_EQ(value, (dir->path() / "input").string()) << key.key;
      } else if (key.type == WorkloadKeyType::kStrings) {
        EXPECT_EQ(value, "-x {mount}") << key.key;
      } else {
        EXPECT_EQ(value, other_value(key, "")) << name_of(kind) << " " << key.key;
      }
      const std::string as_run = to_toml(*s);
      EXPECT_NE(as_run.find(std::string("\n") + key.key + " = "), std::string::npos) << as_run;
      auto again = parse_scenario(as_run, dir->path() / "again.toml");
      ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << as_run;
      EXPECT_EQ(held(again->workload, key), value) << name_of(kind) << " " << key.key;
    }
  }
  EXPECT_GE(keys, 20);
}

TEST(WorkloadKeys, KeysNotGivenAreTheDeclaredDefaultsAndNotWrittenBack) {
  auto s = parse_scenario("[workload]\nkind = \"concurrent-writers\"\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->workload.integer("size_mib"), 256);
  EXPECT_EQ(s->workload.integer("writers"), 4);
  EXPECT_TRUE(s->workload.flag("verify"));
  EXPECT_FALSE(s->workload.flag("remount"));
  EXPECT_FALSE(s->workload.given("size_mib"));
  EXPECT_EQ(s->workload.line_of("kind"), 2);
  EXPECT_EQ(to_toml(*s).find("\nwriters"), std::string::npos) << to_toml(*s);
  // No [workload] table at all: swap-hog with its defaults.
  Scenario plain;
  EXPECT_EQ(plain.workload.integer("size_mib"), 600);
  EXPECT_TRUE(plain.workload.flag("verify"));
  // A key the kind does not declare reads as nothing.
  EXPECT_EQ(plain.workload.integer("writers"), 0);
  EXPECT_TRUE(plain.workload.strings("argv").empty());
}

TEST(WorkloadKeys, WrongTypesAreErrorsWithTheirLine) {
  EXPECT_EQ(error_of("[workload]\nkind = \"swap-hog\"\nsize_mib = \"600\"\n"),
            "t.toml:3: [workload] size_mib must be an integer");
  EXPECT_EQ(error_of("[workload]\n\nsize_mib = 6.5\n"),
            "t.toml:3: [workload] size_mib must be an integer");
  EXPECT_EQ(error_of("[workload]\nkind = \"swap-hog\"\nverify = 1\n"),
            "t.toml:3: [workload] verify must be true or false");
  EXPECT_EQ(error_of("[workload]\nkind = \"command\"\nargv = \"/bin/true\"\n"),
            "t.toml:3: [workload] argv must be an array of strings");
  EXPECT_EQ(error_of("[workload]\nkind = \"command\"\nargv = [\"/bin/true\", 3]\n"),
            "t.toml:3: [workload] argv must be an array of strings");
  EXPECT_EQ(error_of("[workload]\nkind = \"fio\"\njob = [\"a.fio\"]\n"),
            "t.toml:3: [workload] job must be a string");
  EXPECT_EQ(error_of("[workload]\nkind = \"concurrent-writers\"\nwriters = 65\n"),
            "t.toml:3: [workload] writers = 65: must be between 1 and 64");
  EXPECT_EQ(error_of("workload = 3\n"), "t.toml:1: 'workload' must be a table ([workload])");
}

TEST(WorkloadKeys, UnknownKeysAndKeysOfOtherKindsAreErrorsWithTheirLine) {
  EXPECT_EQ(error_of("[workload]\nkind = \"swap-hog\"\nsise_mib = 600\n"),
            "t.toml:3: unknown key 'sise_mib' in [workload]");
  EXPECT_EQ(error_of("[workload]\nkind = \"swap-hog\"\n\nwriters = 2\n"),
            "t.toml:4: [workload] kind = \"swap-hog\" takes no writers (it takes: size_mib, "
            "verify)");
  EXPECT_EQ(error_of("[workload]\nkind = \"fio\"\nsize_mib = 2\n"),
            "t.toml:3: [workload] kind = \"fio\" takes no size_mib (it takes: job, args)");
}

}  // namespace
}  // namespace wedge::config
