// Unit tests for the Workload seam: every WorkloadKind has its entry, each kind rejects keys
// and storage uses it cannot take (file:line), gives the argv the agent runs, and reads its
// progress lines as a generic measure; plus the guest-setup parsing (memory.events).
#include "harness/workloads/workload_registry.h"

#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/workloads/guest_setup.h"

namespace wedge::workloads {
namespace {

using config::WorkloadKind;

Result<config::Scenario> load(std::string_view text) {
  WEDGE_TRY(config::Scenario s, config::parse_scenario(text, "t.toml"));
  WEDGE_CHECK(check_workload(s));
  return s;
}

std::string check(std::string_view text) {
  auto s = load(text);
  return s ? "(loaded)" : s.error().message();
}

std::string argv_of(std::string_view text, const storage::InUse& in_use) {
  auto s = load(text);
  if (!s) return s.error().message();
  auto argv = workload_entry(s->workload.kind).argv(*s, in_use);
  return argv ? fmt::format("{}", fmt::join(*argv, " ")) : argv.error().message();
}

TEST(WorkloadRegistry, CoversEveryKind) {
  for (WorkloadKind kind : config::kWorkloadKinds) {
    const WorkloadEntry& entry = workload_entry(kind);
    EXPECT_EQ(entry.kind, kind) << config::name_of(kind);
    EXPECT_NE(entry.argv, nullptr) << config::name_of(kind);
  }
  // Only the user's command reports no progress of its own.
  EXPECT_EQ(workload_entry(WorkloadKind::kCommand).parse_progress, nullptr);
  EXPECT_NE(workload_entry(WorkloadKind::kMke2fs).parse_progress, nullptr);
}

TEST(WorkloadRegistry, HogMustFitAndCommandNeedsAbsoluteArgv) {
  EXPECT_EQ(check("[workload]\nsize_mib = 5000\n"),
            "t.toml: [workload] size_mib = 5000 cannot fit in guest memory (256 MiB) plus swap "
            "(1024 MiB)");
  EXPECT_EQ(check("[workload]\nkind = \"command\"\n"),
            "t.toml:2: [workload] kind = \"command\" needs argv = [\"/path\", ...]");
  EXPECT_EQ(check("[workload]\nkind = \"command\"\nargv = [\"repro\"]\n"),
            "t.toml:2: [workload] argv[0] must be an absolute path in the guest, got \"repro\"");
  EXPECT_EQ(check("[workload]\nargv = [\"/x\"]\n"),
            "t.toml:2: [workload] kind = \"swap-hog\" takes no argv (it takes: size_mib, verify)");
}

TEST(WorkloadRegistry, KindsRejectKeysAndUsesTheyCannotTake) {
  EXPECT_EQ(check("[workload]\nkind = \"mke2fs\"\nwriters = 2\n"),
            "t.toml:3: [workload] kind = \"mke2fs\" takes no writers (it takes: args)");
  EXPECT_EQ(check("[workload]\nkind = \"mke2fs\"\n"),
            "t.toml:2: [workload] kind = \"mke2fs\" needs [storage] use = \"device\" (got "
            "\"swap\")");
  EXPECT_EQ(check("[storage]\nuse = \"device\"\n[workload]\nkind = \"mke2fs\"\n"
                  "args = [\"-t\", \"ext4\", \"/dev/sda\"]\n"),
            "t.toml:5: [workload] args: \"/dev/sda\": the device is added by wedge, give "
            "options only");
  EXPECT_EQ(check("[storage]\nuse = \"fs\"\nsize_mib = 300\n[workload]\nkind = \"large-file\"\n"),
            "t.toml:4: [workload] size_mib = 512 does not fit on [storage] size_mib = 300");
  EXPECT_EQ(check("[storage]\nuse = \"fs\"\n[workload]\nkind = \"concurrent-writers\"\n"
                  "size_mib = 2\nwriters = 4\n"),
            "t.toml:5: [workload] size_mib = 2 gives less than 1 MiB to each of 4 writers");
  EXPECT_EQ(check("[storage]\nuse = \"fs\"\n[workload]\nkind = \"large-file\"\nremount = true\n"),
            "(loaded)");
}

TEST(WorkloadRegistry, ArgvIsWhatTheAgentRuns) {
  storage::InUse fs{"/dev/nbd0", "/mnt/wedge", ""};
  EXPECT_EQ(argv_of("[workload]\nsize_mib = 64\n", fs),
            "/bin/wedge-hog hog --mib 64 --step-mib 8 --verify");
  // large-file: twice the guest's RAM by default, verified.
  EXPECT_EQ(argv_of("[guest]\nmemory_mib = 128\n[storage]\nuse = \"fs\"\n[workload]\n"
                    "kind = \"large-file\"\nremount = true\n",
                    fs),
            "/bin/wedge-write write --dir /mnt/wedge --mib 256 --writers 1 --verify --remount "
            "--device /dev/nbd0 --fs ext4");
  EXPECT_EQ(argv_of("[storage]\nuse = \"fs\"\n[workload]\nkind = \"concurrent-writers\"\n"
                    "same_file = true\nverify = false\n",
                    fs),
            "/bin/wedge-write write --dir /mnt/wedge --mib 256 --writers 4 --same-file");
  EXPECT_EQ(argv_of("[storage]\nuse = \"fs\"\n[workload]\nkind = \"command\"\n"
                    "argv = [\"/extra/fio\", \"--directory={mount}\", \"--filename={device}\"]\n",
                    fs),
            "/extra/fio --directory=/mnt/wedge --filename=/dev/nbd0");
  EXPECT_EQ(argv_of("[workload]\nkind = \"command\"\nargv = [\"/x\", \"{mount}\"]\n",
                    storage::InUse{"/dev/nbd0", "", "/dev/nbd0"}),
            "t.toml:3: [workload] argv uses {mount} but nothing is mounted (use = \"fs\")");
  std::string mke2fs = argv_of(
      "[storage]\nuse = \"device\"\n[workload]\nkind = \"mke2fs\"\nargs = [\"-t\", \"ext4\"]\n",
      storage::InUse{"/dev/nbd0", "", ""});
  EXPECT_TRUE(mke2fs.starts_with("/bin/wedge-watch watch --device /dev/nbd0 -- /")) << mke2fs;
  EXPECT_TRUE(mke2fs.ends_with("mke2fs -t ext4 /dev/nbd0")) << mke2fs;
}

TEST(WorkloadRegistry, MemoryEventsAndCgroupArgv) {
  auto events = parse_memory_events("low 0\nhigh 3\nmax 12\noom 1\noom_kill 1\nbogus\n");
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[4], (std::pair<std::string, uint64_t>{"oom_kill", 1}));
  EXPECT_EQ(fmt::format("{}", fmt::join(in_cgroup({"/bin/wedge-hog", "hog"}), " ")),
            "/init cgroup-exec /sys/fs/cgroup/wedge /bin/wedge-hog hog");
}

}  // namespace
}  // namespace wedge::workloads
