// Unit tests for the scenario loader: good files load with their values, and every kind of
// bad file is refused with the file and line of the mistake.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "harness/config/kinds.h"
#include "harness/config/load_scenario.h"
#include "harness/config/sysctl_keys.h"
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
  EXPECT_EQ(s->storage.transport, TransportKind::kNbd);
  EXPECT_EQ(s->storage.server, "nbd-server");
  EXPECT_EQ(s->storage.size_mib, 1024);
  EXPECT_EQ(s->workload.kind, WorkloadKind::kSwapHog);
  EXPECT_EQ(s->workload.integer("size_mib"), 600);
  EXPECT_EQ(s->limits.duration_s, 300);
}

// A scenario file must be whole; fragments parse (the tests above and below use them).
TEST(Config, EmptyFileOrNoWorkloadIsAnError) {
  const std::string kinds = fmt::format("{}", fmt::join(workload_kind_names(), ", "));
  EXPECT_EQ(kinds.rfind("swap-hog, command", 0), 0u) << kinds;
  auto dir = TempDir::create("wedge-config-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "empty.toml", "").ok());
  auto empty = load_scenario(dir->path() / "empty.toml");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().message(),
            (dir->path() / "empty.toml").string() +
                ": no [workload] table (the file is empty): a scenario needs one (kind: " + kinds +
                ")");
  auto none =
      parse_scenario("name = \"x\"\n[guest]\nvcpus = 1\n", "t.toml", {.require_workload = true});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message(),
            "t.toml: no [workload] table: a scenario needs one (kind: " + kinds + ")");
  EXPECT_TRUE(parse_scenario("", "fragment.toml").ok());
}

TEST(Config, MinimalFileGetsDefaultsAndNameFromFile) {
  auto s = parse_scenario("[workload]\n", "dir/my-case.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->name, "my-case");
  EXPECT_EQ(s->guest.kernel, "default");
  // The documented default stall (README) is the timeout table's, the one value runs use.
  EXPECT_EQ(s->limits.stall_s, 10);
  EXPECT_EQ(s->limits.stall_s, Timeouts::kDefaultStallS);
}

// Once a segfault: no name, and a file name with spaces or non-ASCII letters.
TEST(Config, NameFromAFileNameWithSpacesOrNonAsciiIsMadeValid) {
  auto spaces = parse_scenario("[workload]\n", "dir/my swap case.toml");
  ASSERT_TRUE(spaces.ok()) << spaces.error().message();
  EXPECT_EQ(spaces->name, "my-swap-case");
  auto accents = parse_scenario("[workload]\n", "dir/d\xc3\xa9j\xc3\xa0 vu \xe2\x9c\x93.toml");
  ASSERT_TRUE(accents.ok()) << accents.error().message();
  EXPECT_EQ(accents->name, "d-j-vu");
  auto nothing_left = parse_scenario("[workload]\n", "dir/\xe2\x9c\x93.toml");
  ASSERT_TRUE(nothing_left.ok());
  EXPECT_EQ(nothing_left->name, "scenario");
  // An explicit bad name is still an error, with its line.
  EXPECT_EQ(error_of("\nname = \"my case\"\n"),
            "t.toml:2: name \"my case\" may only hold letters, digits, '-', '_' and '.'");
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
            "t.toml:2: [storage] transport = \"smb\": must be one of \"nbd\", \"nbd-loopback\", "
            "\"iscsi\", \"nfs\", \"9p\", \"nvme-tcp\", \"nfs-loopback\"");
  EXPECT_EQ(error_of("[guest]\nvcpus = \"two\"\n"), "t.toml:2: [guest] vcpus must be an integer");
  EXPECT_EQ(error_of("[limits]\noom_ok = 1\n"), "t.toml:2: [limits] oom_ok must be true or false");
  EXPECT_EQ(error_of("guest = 3\n"), "t.toml:1: 'guest' must be a table ([guest])");
}

TEST(Config, WorkloadKindMustBeKnown) {
  // Every kind in registry order (a new kind joins the list without touching this test).
  const std::string kinds = fmt::format("\"{}\"", fmt::join(workload_kind_names(), "\", \""));
  EXPECT_EQ(kinds.rfind("\"swap-hog\", \"command\", \"large-file\", \"concurrent-writers\", "
                        "\"mke2fs\", \"fio\"",
                        0),
            0u);
  EXPECT_EQ(error_of("[workload]\nkind = \"dd\"\n"),
            "t.toml:2: [workload] kind = \"dd\": must be one of " + kinds);
}

TEST(Config, MemoryAndSysctlTablesLoadAndAreChecked) {
  auto s = parse_scenario(
      "[memory]\nmax_mib = 64\nswap_max_mib = 0\nballoon_mib = 100\nballoon_at_s = 5\n"
      "[sysctl]\nvm.dirty_ratio = 5\n\"vm.page-cluster\" = 0\n",
      "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->memory.max_mib, 64);
  EXPECT_EQ(s->memory.swap_max_mib, 0);
  EXPECT_TRUE(s->memory.wants_cgroup());
  EXPECT_EQ(s->memory.balloon_mib, 100);
  ASSERT_EQ(s->sysctl.size(), 2u);
  EXPECT_EQ(s->sysctl[0].key, "vm.dirty_ratio");
  EXPECT_EQ(s->sysctl[0].value, 5);
  EXPECT_EQ(s->sysctl[0].line, 7);
  EXPECT_EQ(s->sysctl[1].key, "vm.page-cluster");
  EXPECT_EQ(error_of("[sysctl]\nkernel.panic = 1\n"),
            "t.toml:2: [sysctl] kernel.panic: not an allowed key (allowed: vm.dirty_ratio, "
            "vm.dirty_background_ratio, vm.dirty_bytes, vm.dirty_background_bytes, "
            "vm.dirty_expire_centisecs, vm.min_free_kbytes, vm.swappiness, "
            "vm.watermark_scale_factor, vm.page-cluster)");
  EXPECT_EQ(error_of("[sysctl]\nvm.swappiness = \"high\"\n"),
            "t.toml:2: [sysctl] vm.swappiness must be a non-negative integer");
  EXPECT_EQ(error_of("[memory]\nballoon_mib = 300\n"),
            "t.toml:2: [memory] balloon_mib = 300 must be below [guest] memory_mib = 256");
  EXPECT_EQ(error_of("[memory]\nmax_mb = 3\n"), "t.toml:2: unknown key 'max_mb' in [memory]");
  EXPECT_EQ(error_of("[limits]\ntimeout_is_failure = true\n"), "(loaded)");
}

TEST(Config, SysctlPathsAndAllowList) {
  EXPECT_TRUE(is_allowed_sysctl("vm.swappiness"));
  EXPECT_FALSE(is_allowed_sysctl("vm.drop_caches"));
  EXPECT_FALSE(is_allowed_sysctl("kernel.hung_task_timeout_secs"));
  EXPECT_EQ(sysctl_path("vm.page-cluster"), "/proc/sys/vm/page-cluster");
  EXPECT_EQ(sysctl_path("vm.dirty_ratio"), "/proc/sys/vm/dirty_ratio");
}

TEST(Config, ScenarioAsRunKeepsWorkloadMemoryAndSysctl) {
  auto s = parse_scenario(
      "[workload]\nkind = \"concurrent-writers\"\nwriters = 3\nsame_file = true\n"
      "[memory]\nmax_mib = 64\n[sysctl]\nvm.dirty_ratio = 5\n",
      "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << to_toml(*s);
  EXPECT_EQ(again->workload.kind, WorkloadKind::kConcurrentWriters);
  EXPECT_EQ(again->workload.integer("writers"), 3);
  EXPECT_TRUE(again->workload.flag("same_file"));
  EXPECT_EQ(again->memory.max_mib, 64);
  ASSERT_EQ(again->sysctl.size(), 1u);
  EXPECT_EQ(again->sysctl[0].value, 5);
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
  ASSERT_EQ(s->workload.paths("files").size(), 1u);
  EXPECT_EQ(s->workload.paths("files")[0], dir->path() / "repro");
  EXPECT_EQ(s->workload.strings("argv")[1], "--fast");

  auto missing =
      parse_scenario("[workload]\nkind = \"command\"\nargv = [\"/extra/x\"]\nfiles = [\"nope\"]\n",
                     dir->path() / "case.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("case.toml:4: [workload] files:"), std::string::npos)
      << missing.error().message();
}

TEST(Config, CommandFilesMustStayInsideTheScenarioFolder) {
  auto dir = TempDir::create("wedge-config-test");
  ASSERT_TRUE(dir.ok());
  std::filesystem::create_directory(dir->path() / "scenarios");
  ASSERT_TRUE(write_file_atomic(dir->path() / "secret", "key\n").ok());
  std::filesystem::create_symlink(dir->path() / "secret", dir->path() / "scenarios" / "link");
  const std::filesystem::path scenario = dir->path() / "scenarios" / "case.toml";
  auto with_files = [](const std::string& files) {
    return "[workload]\nkind = \"command\"\nargv = [\"/extra/x\"]\nfiles = [" + files + "]\n";
  };
  const std::vector<std::string> outside = {
      "\"../secret\"", "\"" + (dir->path() / "secret").string() + "\"", "\"link\""};
  for (const std::string& files : outside) {
    auto refused = parse_scenario(with_files(files), scenario);
    ASSERT_FALSE(refused.ok()) << files;
    EXPECT_NE(refused.error().message().find("case.toml:4: [workload] files:"), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("is outside the scenario's folder"), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("--allow-outside-files"), std::string::npos);
    auto allowed = parse_scenario(with_files(files), scenario, {.allow_outside_files = true});
    EXPECT_TRUE(allowed.ok()) << files << ": " << allowed.error().message();
  }
}

TEST(Config, GuestPackagesMustBeDebianNamesWithFileAndLine) {
  auto s =
      parse_scenario("[guest]\nmemory_mib = 512\npackages = [\"fio\", \"stress-ng\"]\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->guest.packages, (std::vector<std::string>{"fio", "stress-ng"}));
  EXPECT_EQ(s->guest.packages_line, 3);
  EXPECT_EQ(error_of("[guest]\n\npackages = [\"fio\", \"-o=Dir::Etc=/tmp\"]\n"),
            "t.toml:3: [guest] packages: \"-o=Dir::Etc=/tmp\" is not a Debian package name "
            "(lowercase letters, digits, '+', '-', '.'; at least 2 characters, starting with a "
            "letter or digit)");
  EXPECT_EQ(
      error_of("[guest]\npackages = [\"Fio\"]\n").rfind("t.toml:2: [guest] packages: \"Fio\"", 0),
      0u);
  EXPECT_EQ(error_of("[guest]\npackages = [\"fio bash\"]\n").rfind("t.toml:2:", 0), 0u);
  EXPECT_EQ(error_of("[guest]\npackages = \"fio\"\n"),
            "t.toml:2: [guest] packages must be an array of strings");
  // The scenario as run keeps them.
  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->guest.packages, s->guest.packages);
}

TEST(Config, FioJobResolvesRelativeToScenarioAndMustExist) {
  auto dir = TempDir::create("wedge-config-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "w.fio", "[w]\nrw=write\n").ok());
  auto s = parse_scenario("[workload]\nkind = \"fio\"\njob = \"w.fio\"\n", dir->path() / "c.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->workload.path("job"), dir->path() / "w.fio");
  auto again = parse_scenario(to_toml(*s), dir->path() / "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->workload.path("job"), s->workload.path("job"));
  auto missing =
      parse_scenario("[workload]\nkind = \"fio\"\n\njob = \"nope.fio\"\n", dir->path() / "c.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(
      missing.error().message().rfind((dir->path() / "c.toml").string() + ":4: [workload] job:", 0),
      0u)
      << missing.error().message();
  // A job file is a user-named host file like [workload] files: inside the scenario's folder.
  std::filesystem::create_directory(dir->path() / "scenarios");
  auto outside = parse_scenario("[workload]\nkind = \"fio\"\njob = \"../w.fio\"\n",
                                dir->path() / "scenarios" / "c.toml");
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.error().message().find("c.toml:3: [workload] job:"), std::string::npos)
      << outside.error().message();
  EXPECT_NE(outside.error().message().find("is outside the scenario's folder"), std::string::npos)
      << outside.error().message();
  auto allowed =
      parse_scenario("[workload]\nkind = \"fio\"\njob = \"../w.fio\"\n",
                     dir->path() / "scenarios" / "c.toml", {.allow_outside_files = true});
  EXPECT_TRUE(allowed.ok()) << allowed.error().message();
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

// [[fault]] tables: a valid list loads with defaults filled in, and round-trips.
TEST(ConfigFaults, ValidFaultsLoadAndRoundTrip) {
  auto s = parse_scenario(
      "[storage]\nserver = \"nbdkit\"\n"
      "[[fault]]\nkind = \"server-stall\"\nat_s = 20\nduration_s = 30\n"
      "[[fault]]\nkind = \"server-restart\"\nwhen = \"swap_used_mib > 100\"\nrestart_after_s = "
      "2.5\n"
      "[[fault]]\nkind = \"rate\"\nvia = \"nbdkit\"\nat_s = 1.5\nduration_s = 10\nrate_kib_s = "
      "512\n"
      "[[fault]]\nkind = \"error\"\nat_s = 3\nduration_s = 4\nerror_rate = 0.25\n"
      "[[fault]]\nkind = \"balloon\"\nat_s = 3\nduration_s = 4\nballoon_mib = 128\n"
      "[[fault]]\nkind = \"memory-max\"\nat_s = 3\nduration_s = 4\nmemory_max_mib = 100\n"
      "[[fault]]\nkind = \"delay\"\nat_s = 3\nduration_s = 4\ndelay_ms = 200\n"
      "[[fault]]\nkind = \"reset\"\nat_s = 9\n"
      "[limits]\nstall_s = 10\n",
      "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->faults.size(), 8u);
  EXPECT_TRUE(s->limits.recover);
  const FaultConfig& stall = s->faults[0];
  EXPECT_EQ(stall.kind, FaultKind::kServerStall);
  EXPECT_EQ(stall.at_s, 20.0);
  EXPECT_EQ(stall.duration_s, 30.0);
  EXPECT_EQ(stall.via, "signal");  // the default route
  EXPECT_EQ(stall.line, 3);
  const FaultConfig& restart = s->faults[1];
  EXPECT_FALSE(restart.at_s.has_value());
  EXPECT_EQ(restart.when, "swap_used_mib > 100");
  EXPECT_EQ(restart.param("restart_after_s"), 2.5);
  EXPECT_EQ(restart.via, "");
  EXPECT_EQ(s->faults[2].via, "nbdkit");
  EXPECT_EQ(s->faults[2].param("rate_kib_s"), 512);
  EXPECT_EQ(s->faults[3].param("error_rate"), 0.25);
  EXPECT_EQ(s->faults[4].param("balloon_mib"), 128);
  EXPECT_EQ(s->faults[5].param("memory_max_mib"), 100);
  EXPECT_EQ(s->faults[6].param("delay_ms"), 200);
  EXPECT_EQ(s->faults[7].kind, FaultKind::kReset);

  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << to_toml(*s);
  ASSERT_EQ(again->faults.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    const FaultConfig& a = s->faults[i];
    const FaultConfig& b = again->faults[i];
    EXPECT_EQ(a.kind, b.kind);
    EXPECT_EQ(a.at_s, b.at_s);
    EXPECT_EQ(a.when, b.when);
    EXPECT_EQ(a.duration_s, b.duration_s);
    EXPECT_EQ(a.via, b.via);
    ASSERT_EQ(a.params.size(), b.params.size());
    for (size_t j = 0; j < a.params.size(); ++j) {
      EXPECT_EQ(a.params[j].key, b.params[j].key);
      EXPECT_EQ(a.params[j].value, b.params[j].value);
    }
  }
}

TEST(ConfigFaults, RecoverIsReadAndWritten) {
  auto s = parse_scenario("[limits]\nrecover = false\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_FALSE(s->limits.recover);
  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->limits.recover);
  EXPECT_EQ(error_of("[limits]\nrecover = \"yes\"\n"),
            "t.toml:2: [limits] recover must be true or false");
}

TEST(ConfigFaults, TriggerAndTimingErrors) {
  EXPECT_EQ(error_of("[[fault]]\nkind = \"delay\"\ndelay_ms = 1\nduration_s = 1\n"),
            "t.toml:1: [[fault]] kind = \"delay\" needs exactly one of at_s = SECONDS or when = "
            "\"EXPRESSION\"");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"reset\"\nat_s = 1\nwhen = \"pswpout > 1\"\n"),
            "t.toml:1: [[fault]] kind = \"reset\" needs exactly one of at_s = SECONDS or when = "
            "\"EXPRESSION\"");
  EXPECT_EQ(error_of("\n[[fault]]\nkind = \"reset\"\nwhen = \"swap_used_mb > 100\"\n"),
            "t.toml:4: [[fault]] when = \"swap_used_mb > 100\": column 1: unknown name "
            "'swap_used_mb' (known: elapsed_s, swap_used_mib, memfree_mib, dirty_mib, "
            "writeback_mib, pswpout, workload_mib)");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"reset\"\nwhen = \"pswpout >\"\n"),
            "t.toml:3: [[fault]] when = \"pswpout >\": column 10: expected a number after "
            "'pswpout >', got 'the end'");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"reset\"\nat_s = -1\n"),
            "t.toml:3: [[fault]] at_s = -1: must be between 0 and 604800");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"blackhole\"\nat_s = 1\nduration_s = -2\n"),
            "t.toml:4: [[fault]] duration_s = -2: must be between 0 and 604800");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"blackhole\"\nat_s = \"soon\"\n"),
            "t.toml:3: [[fault]] at_s must be a number");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"blackhole\"\nat_s = 1\n"),
            "t.toml:1: [[fault]] kind = \"blackhole\" needs duration_s (0: until the end of the "
            "run)");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"reset\"\nat_s = 1\nduration_s = 5\n"),
            "t.toml:4: [[fault]] kind = \"reset\" takes no duration_s (it is an instant)");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"server-restart\"\nat_s = 1\nrestart_after_s = 1\n"
                     "duration_s = 5\n"),
            "t.toml:5: [[fault]] kind = \"server-restart\" takes no duration_s (it lasts "
            "restart_after_s)");
}

TEST(ConfigFaults, KindsAndTheirKeys) {
  // Every kind in registry order (a new kind joins the list without touching this test).
  const std::string kinds = fmt::format("\"{}\"", fmt::join(fault_kind_names(), "\", \""));
  EXPECT_EQ(kinds.rfind("\"server-stall\", \"server-crash\", \"server-restart\", \"delay\", "
                        "\"rate\", \"error\", \"blackhole\", \"reset\", \"balloon\", "
                        "\"memory-max\"",
                        0),
            0u);
  EXPECT_EQ(error_of("[[fault]]\nat_s = 1\n"), "t.toml:1: [[fault]] needs kind = one of " + kinds);
  EXPECT_EQ(error_of("[[fault]]\nkind = \"slow\"\n"),
            "t.toml:2: [[fault]] kind = \"slow\": must be one of " + kinds);
  EXPECT_EQ(error_of("[[fault]]\nkind = \"reset\"\nat_s = 1\nduraton_s = 5\n"),
            "t.toml:4: unknown key 'duraton_s' in [[fault]]");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"delay\"\nat_s = 1\nduration_s = 5\n"),
            "t.toml:1: [[fault]] kind = \"delay\" needs delay_ms");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"delay\"\nat_s = 1\nduration_s = 5\ndelay_ms = 5\n"
                     "rate_kib_s = 10\n"),
            "t.toml:6: [[fault]] kind = \"delay\" takes no rate_kib_s (it takes delay_ms)");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"blackhole\"\nat_s = 1\nduration_s = 5\n"
                     "balloon_mib = 100\n"),
            "t.toml:5: [[fault]] kind = \"blackhole\" takes no balloon_mib");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"server-restart\"\nat_s = 1\n"),
            "t.toml:1: [[fault]] kind = \"server-restart\" needs restart_after_s");
  EXPECT_EQ(error_of("[storage]\nserver = \"nbdkit\"\n[[fault]]\nkind = \"error\"\nat_s = 1\n"
                     "duration_s = 5\nerror_rate = 1.5\n"),
            "t.toml:7: [[fault]] error_rate = 1.5: must be between 0 and 1");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"balloon\"\nat_s = 1\nduration_s = 5\n"
                     "balloon_mib = 256\n"),
            "t.toml:5: [[fault]] kind = \"balloon\" balloon_mib = 256 must be below [guest] "
            "memory_mib = 256");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"rate\"\nvia = \"tc\"\nat_s = 1\nduration_s = 5\n"
                     "rate_kib_s = 1\n"),
            "t.toml:3: [[fault]] via = \"tc\": must be one of \"relay\", \"nbdkit\"");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"delay\"\nvia = \"relay\"\nat_s = 1\nduration_s = 5\n"
                     "delay_ms = 1\n"),
            "t.toml:3: [[fault]] kind = \"delay\" takes no via (it has one route)");
  EXPECT_EQ(error_of("fault = 3\n"), "t.toml:1: 'fault' must be an array of tables ([[fault]])");
  EXPECT_EQ(error_of("[fault]\nkind = \"reset\"\n"),
            "t.toml:1: 'fault' must be an array of tables ([[fault]])");
}

TEST(ConfigFaults, RelayFaultsLoadAndErrorRateIsOnePerRun) {
  // The relay and signal routes work for nbd-server.
  EXPECT_EQ(error_of("[[fault]]\nkind = \"server-stall\"\nvia = \"relay\"\nat_s = 1\n"
                     "duration_s = 5\n[[fault]]\nkind = \"rate\"\nat_s = 1\nduration_s = 5\n"
                     "rate_kib_s = 1\n"),
            "(loaded)");
  EXPECT_EQ(error_of("[storage]\nserver = \"nbdkit\"\n"
                     "[[fault]]\nkind = \"error\"\nat_s = 1\nduration_s = 5\nerror_rate = 1\n"
                     "[[fault]]\nkind = \"error\"\nat_s = 9\nduration_s = 5\nerror_rate = 0.5\n"),
            "t.toml:8: [[fault]] kind = \"error\" error_rate = 0.5 differs from the one at line 3 "
            "(1): nbdkit's error filter has one rate per run");
}

TEST(ConfigFaults, EndlessFaultsNeedRecoverFalse) {
  EXPECT_EQ(error_of("[[fault]]\nkind = \"server-crash\"\nat_s = 1\n"),
            "t.toml:1: [[fault]] kind = \"server-crash\" never ends, so the run cannot recover "
            "from it: set [limits] recover = false");
  EXPECT_EQ(error_of("[[fault]]\nkind = \"blackhole\"\nat_s = 1\nduration_s = 0\n"),
            "t.toml:1: [[fault]] kind = \"blackhole\" never ends, so the run cannot recover from "
            "it: set [limits] recover = false or give it a duration_s");
  EXPECT_EQ(error_of("[limits]\nrecover = false\n[[fault]]\nkind = \"server-crash\"\nat_s = 1\n"),
            "(loaded)");
}

TEST(Config, StorageTableReadsEverySetting) {
  auto s = parse_scenario(
      "[storage]\ntransport = \"iscsi\"\nuse = \"fs\"\nfs = \"xfs\"\n"
      "mount_options = \"sync,noatime\"\nraid1 = true\n",
      "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->storage.transport, TransportKind::kIscsi);
  EXPECT_EQ(s->storage.use, StorageUse::kFs);
  EXPECT_EQ(s->storage.fs, "xfs");
  EXPECT_EQ(s->storage.mount_options, "sync,noatime");
  EXPECT_TRUE(s->storage.raid1);
  EXPECT_EQ(s->storage.line, 1);
  auto again = parse_scenario(to_toml(*s), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(again->storage.transport, TransportKind::kIscsi);
  EXPECT_EQ(again->storage.use, StorageUse::kFs);
  EXPECT_TRUE(again->storage.raid1);
  EXPECT_EQ(error_of("[storage]\nuse = \"tape\"\n"),
            "t.toml:2: [storage] use = \"tape\": must be one of \"swap\", \"fs\", \"device\"");
  EXPECT_EQ(error_of("[storage]\nmount_options = \"sync;rm\"\n"),
            "t.toml:2: [storage] mount_options = \"sync;rm\": only letters, digits and ,=_-.: are "
            "allowed");
  EXPECT_EQ(error_of("[storage]\nserver_io_flusher = true\n"),
            "t.toml:2: [storage] server_io_flusher applies to the nbd-server inside the guest "
            "(transport = \"nbd-loopback\") only");
  EXPECT_EQ(
      error_of("[[fault]]\nkind = \"server-stall\"\nat_s = 1\nduration_s = 5\nleg = 1\n"),
      "t.toml:5: [[fault]] kind = \"server-stall\" leg = 1: only [storage] raid1 = true has a "
      "second leg");
}

// A float where an integer belongs is a type error, never a conversion (toml++ would convert
// 6e78 to int64 with undefined behaviour; the fuzzer found it).
TEST(Config, HugeFloatForAnIntegerIsATypeError) {
  EXPECT_EQ(error_of("[guest]\nmemory_mib = 6e78\n"),
            "t.toml:2: [guest] memory_mib must be an integer");
}

TEST(Config, EveryKindNameRoundTrips) {
  for (TransportKind k : kTransportKinds) EXPECT_EQ(parse_transport(name_of(k)), k);
  for (StorageUse u : kStorageUses) EXPECT_EQ(parse_storage_use(name_of(u)), u);
  for (FaultKind k : kFaultKinds) EXPECT_EQ(parse_fault_kind(name_of(k)), k);
  EXPECT_FALSE(parse_transport("smb").has_value());
}

}  // namespace
}  // namespace wedge::config
