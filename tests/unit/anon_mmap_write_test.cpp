// Unit tests of workload kind "anon-mmap-write": its keys (defaults, ranges, keys of other
// kinds, the storage use it needs, to_toml round trip), the argv it gives the agent, and the
// agent's mmap-write mode itself, run on the host: several processes write, read back and
// verify their anonymous memory pass after pass.
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/util/process.h"
#include "harness/workload_kinds/workload_registry.h"

namespace wedge::workloads {
namespace {

using std::chrono::milliseconds;

Result<config::Scenario> load(std::string_view text) {
  WEDGE_TRY(config::Scenario s, config::parse_scenario(text, "t.toml"));
  WEDGE_CHECK(check_workload(s));
  return s;
}

std::string with_workload(std::string_view keys) {
  return fmt::format(
      "[guest]\nmemory_mib = 256\n[storage]\nsize_mib = 1024\n[workload]\nkind = "
      "\"anon-mmap-write\"\n{}",
      keys);
}

std::string error_of(std::string_view keys) {
  auto s = load(with_workload(keys));
  return s ? "(loaded)" : s.error().message();
}

std::string argv_of(const config::Scenario& s) {
  auto argv = workload_entry(s.workload.kind).argv(s, {});
  return argv ? fmt::format("{}", fmt::join(*argv, " ")) : argv.error().message();
}

TEST(AnonMmapWrite, DefaultsAreFourProcessesTwoPassesThreeTimesRam) {
  auto s = load(with_workload(""));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->workload.kind, config::WorkloadKind::kAnonMmapWrite);
  EXPECT_EQ(s->workload.integer("processes"), 4);
  EXPECT_EQ(s->workload.integer("passes"), 2);
  // 3 x 256 MiB over 4 processes.
  EXPECT_EQ(argv_of(*s),
            "/bin/wedge-hog mmap-write --procs 4 --mib 192 --passes 2 --step-mib 8 --verify");
}

TEST(AnonMmapWrite, GivenKeysReachTheArgvAndRoundTrip) {
  auto s = load(with_workload("processes = 3\npasses = 5\nsize_mib = 600\nverify = false\n"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(argv_of(*s), "/bin/wedge-hog mmap-write --procs 3 --mib 200 --passes 5 --step-mib 8");
  const std::string text = config::to_toml(*s);
  EXPECT_NE(text.find("processes = 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("passes = 5\n"), std::string::npos) << text;
  auto again = load(text);
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
  EXPECT_EQ(argv_of(*again), argv_of(*s));
}

TEST(AnonMmapWrite, BadKeysAreErrorsWithTheirLine) {
  EXPECT_EQ(error_of("processes = 0\n"),
            "t.toml:7: [workload] processes = 0: must be between 1 and 64");
  EXPECT_EQ(error_of("passes = 1.5\n"), "t.toml:7: [workload] passes must be an integer");
  EXPECT_EQ(error_of("writers = 2\n"),
            "t.toml:7: [workload] kind = \"anon-mmap-write\" takes no writers (it takes: "
            "size_mib, verify, processes, passes)");
  EXPECT_EQ(error_of("size_mib = 1300\n"),
            "t.toml:7: [workload] size_mib = 1300 cannot fit in guest memory (256 MiB) plus swap "
            "(1024 MiB)");
  EXPECT_EQ(error_of("processes = 8\nsize_mib = 4\n"),
            "t.toml:8: [workload] size_mib = 4 gives less than 1 MiB to each of 8 processes");
  // A number no kind reads is the kind's business: swap-hog refuses it.
  auto hog = load("[workload]\nkind = \"swap-hog\"\nprocesses = 2\n");
  ASSERT_FALSE(hog.ok());
  EXPECT_EQ(hog.error().message(),
            "t.toml:3: [workload] kind = \"swap-hog\" takes no processes (it takes: size_mib, "
            "verify)");
  auto fs = load("[storage]\nuse = \"fs\"\n[workload]\nkind = \"anon-mmap-write\"\n");
  ASSERT_FALSE(fs.ok());
  EXPECT_EQ(fs.error().message(),
            "t.toml:4: [workload] kind = \"anon-mmap-write\" needs [storage] use = \"swap\" (got "
            "\"fs\")");
}

TEST(AnonMmapWrite, AgentModeWritesReadsAndVerifiesInEveryProcess) {
  auto out = run_command({WEDGE_AGENT_BINARY, "mmap-write", "--procs", "3", "--mib", "4",
                          "--passes", "2", "--step-mib", "1", "--verify"},
                         milliseconds(60000));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_TRUE(out->status.success()) << out->status.describe() << " " << out->err;
  // 3 processes x 4 MiB x 2 passes, counted together.
  EXPECT_NE(out->out.find("progress 24 24\n"), std::string::npos) << out->out;
  EXPECT_NE(out->out.find("verify ok\n"), std::string::npos) << out->out;
  EXPECT_EQ(out->out.find("mismatch"), std::string::npos) << out->out;
}

TEST(AnonMmapWrite, AgentModeRefusesBadArguments) {
  auto out = run_command({WEDGE_AGENT_BINARY, "mmap-write", "--procs", "0", "--mib", "4"},
                         milliseconds(10000));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(out->status.signal, 0);
  EXPECT_EQ(out->status.code, 2);
  EXPECT_NE(out->err.find("bad --procs"), std::string::npos) << out->err;
}

}  // namespace
}  // namespace wedge::workloads
