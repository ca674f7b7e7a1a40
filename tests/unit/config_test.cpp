// Unit tests for the scenario loader: good files load with their values, and every kind of
// bad file is refused with the file and line of the mistake.
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/util/files.h"

namespace wedge::config {
namespace {

std::string error_of(std::string_view text) {
  auto s = parse_scenario(text, "t.toml");
  return s.ok() ? "(loaded)" : s.error().message();
}

TEST(Config, BuiltinDefaultScenarioLoads) {
  auto path = find_scenario("nbd-swap-hog");
  ASSERT_TRUE(path.ok()) << path.error().message();
  auto s = load_scenario(*path);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->name, "nbd-swap-hog");
  EXPECT_EQ(s->guest.memory_mib, 256);
  EXPECT_EQ(s->storage.transport, "nbd");
  EXPECT_EQ(s->storage.server, "nbd-server");
  EXPECT_EQ(s->storage.size_mib, 1024);
  EXPECT_EQ(s->workload.kind, "swap-hog");
  EXPECT_EQ(s->workload.size_mib, 600);
  EXPECT_EQ(s->limits.duration_s, 300);
}

TEST(Config, EmptyFileGivesDefaultsAndNameFromFile) {
  auto s = parse_scenario("", "dir/my-case.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->name, "my-case");
  EXPECT_EQ(s->guest.kernel, "default");
}

TEST(Config, UnknownKeyNamesFileLineAndTable) {
  EXPECT_EQ(error_of("name = \"x\"\n[guest]\nmemory_mib = 256\nmemroy_mib = 1\n"),
            "t.toml:4: unknown key 'memroy_mib' in [guest]");
  EXPECT_EQ(error_of("nme = \"x\"\n"), "t.toml:1: unknown key 'nme'");
  EXPECT_EQ(error_of("[gust]\n"), "t.toml:1: unknown key 'gust'");
}

TEST(Config, ImpossibleValuesAreRefused) {
  EXPECT_EQ(error_of("[guest]\n\nmemory_mib = 16\n"),
            "t.toml:3: [guest] memory_mib = 16: must be between 64 and 65536");
  EXPECT_EQ(error_of("[storage]\ntransport = \"smb\"\n"),
            "t.toml:2: [storage] transport = \"smb\": must be one of \"nbd\"");
  EXPECT_EQ(error_of("[guest]\nvcpus = \"two\"\n"), "t.toml:2: [guest] vcpus must be an integer");
  EXPECT_EQ(error_of("[limits]\noom_ok = 1\n"), "t.toml:2: [limits] oom_ok must be true or false");
  EXPECT_EQ(error_of("[workload]\nsize_mib = 5000\n"),
            "t.toml: [workload] size_mib = 5000 cannot fit in guest memory (256 MiB) plus swap "
            "(1024 MiB)");
  EXPECT_EQ(error_of("guest = 3\n"), "t.toml:1: 'guest' must be a table ([guest])");
}

TEST(Config, CommandWorkloadNeedsAbsoluteArgv) {
  EXPECT_EQ(error_of("[workload]\nkind = \"command\"\n"),
            "t.toml:2: [workload] kind = \"command\" needs argv = [\"/path\", ...]");
  EXPECT_EQ(error_of("[workload]\nkind = \"command\"\nargv = [\"repro\"]\n"),
            "t.toml:2: [workload] argv[0] must be an absolute path in the guest, got \"repro\"");
  EXPECT_EQ(error_of("[workload]\nargv = [\"/x\"]\n"),
            "t.toml:1: [workload] argv and files only apply to kind = \"command\"");
}

TEST(Config, CommandFilesResolveRelativeToScenarioAndMustExist) {
  auto dir = TempDir::create("wedge-config-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "repro", "#!/bin/sh\n").ok());
  std::string text =
      "[workload]\nkind = \"command\"\nargv = [\"/extra/repro\", \"--fast\"]\nfiles = "
      "[\"repro\"]\n";
  auto s = parse_scenario(text, dir->path() / "case.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->workload.files.size(), 1u);
  EXPECT_EQ(s->workload.files[0], dir->path() / "repro");
  EXPECT_EQ(s->workload.argv[1], "--fast");

  auto missing =
      parse_scenario("[workload]\nkind = \"command\"\nargv = [\"/extra/x\"]\nfiles = [\"nope\"]\n",
                     dir->path() / "case.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("case.toml:4: [workload] files:"), std::string::npos)
      << missing.error().message();
}

TEST(Config, SyntaxErrorHasLineAndColumn) {
  auto msg = error_of("[guest]\nmemory_mib = = 3\n");
  EXPECT_EQ(msg.rfind("t.toml:2:", 0), 0u) << msg;
}

TEST(Config, RoundTripsThroughToToml) {
  auto s =
      parse_scenario("name = \"rt\"\n[guest]\nmemory_mib = 192\ncmdline = \"a=b\"\n", "t.toml");
  ASSERT_TRUE(s.ok());
  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << to_toml(*s);
  EXPECT_EQ(again->name, "rt");
  EXPECT_EQ(again->guest.memory_mib, 192);
  EXPECT_EQ(again->guest.cmdline, "a=b");
}

TEST(Config, UnknownScenarioNameListsBuiltins) {
  auto p = find_scenario("no-such-scenario");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("nbd-swap-hog"), std::string::npos) << p.error().message();
}

}  // namespace
}  // namespace wedge::config
