// Unit tests for the Workload seam: every WorkloadKind has its entry, each kind rejects keys
// and storage uses it cannot take (file:line), gives the argv the agent runs, and reads its
// progress lines as a generic measure; plus the guest-setup parsing (memory.events).
#include "harness/workload_kinds/workload_registry.h"

#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/util/files.h"
#include "harness/workload_kinds/guest_setup.h"

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
  // fio: its progress, its result file, its package and its job file.
  const WorkloadEntry& fio = workload_entry(WorkloadKind::kFio);
  EXPECT_EQ(config::name_of(WorkloadKind::kFio), std::string("fio"));
  EXPECT_EQ(config::parse_workload_kind("fio"), WorkloadKind::kFio);
  EXPECT_NE(fio.parse_progress, nullptr);
  EXPECT_NE(fio.parse_result, nullptr);
  EXPECT_NE(fio.host_files, nullptr);
  ASSERT_NE(fio.image_needs, nullptr);
  config::Scenario s;
  s.workload.kind = WorkloadKind::kFio;
  EXPECT_EQ(fio.image_needs(s).packages, std::vector<std::string>{"fio"});
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
            "t.toml:3: [workload] kind = \"mke2fs\" takes no writers (it takes: args, size_mib)");
  EXPECT_EQ(check("[workload]\nkind = \"mke2fs\"\n"),
            "t.toml:2: [workload] kind = \"mke2fs\" needs [storage] use = \"device\" (the raw "
            "device) or \"fs\" (an image file on the mount)");
  EXPECT_EQ(check("[storage]\nuse = \"device\"\n[workload]\nkind = \"mke2fs\"\nsize_mib = 9\n"),
            "t.toml:5: [workload] size_mib: mke2fs on use = \"device\" formats the whole device "
            "(set [storage] size_mib)");
  EXPECT_EQ(check("[storage]\nuse = \"fs\"\nsize_mib = 512\n[workload]\nkind = \"mke2fs\"\n"
                  "size_mib = 600\n"),
            "t.toml:6: [workload] size_mib = 600 does not fit on [storage] size_mib = 512");
  EXPECT_EQ(check("[storage]\nuse = \"fs\"\nsize_mib = 512\n[workload]\nkind = \"mke2fs\"\n"),
            "(loaded)");
  EXPECT_EQ(check("[storage]\nuse = \"device\"\n[workload]\nkind = \"mke2fs\"\n"
                  "args = [\"-t\", \"ext4\", \"/dev/sda\"]\n"),
            "t.toml:5: [workload] args: \"/dev/sda\": the device or image is added by wedge, "
            "give options only");
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
  // use = "fs": an image file on the mount, of [storage] size_mib less the room kept free.
  std::string on_nfs = argv_of(
      "[storage]\nuse = \"fs\"\nsize_mib = 4160\n[workload]\nkind = \"mke2fs\"\n"
      "args = [\"-t\", \"ext4\"]\n",
      storage::InUse{"", "/mnt/wedge", ""});
  EXPECT_TRUE(on_nfs.starts_with("/bin/wedge-watch watch --file-mib 4096 -- /")) << on_nfs;
  EXPECT_TRUE(on_nfs.ends_with("mke2fs -t ext4 /mnt/wedge/mke2fs.img 4096M")) << on_nfs;
}

TEST(WorkloadRegistry, FioNeedsAJobAndRunsItOnTheStorage) {
  auto dir = TempDir::create("wedge-fio-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "rw.fio", "[w]\nrw=randwrite\nsize=1m\n").ok());
  auto load_at = [&](std::string_view text) {
    auto s = config::parse_scenario(text, dir->path() / "c.toml");
    if (s) {
      if (auto checked = check_workload(*s); !checked.ok())
        return Result<config::Scenario>(checked.error());
    }
    return s;
  };
  std::string at = (dir->path() / "c.toml").string();
  auto no_job = load_at("[storage]\nuse = \"device\"\n[workload]\nkind = \"fio\"\n");
  ASSERT_FALSE(no_job.ok());
  EXPECT_EQ(no_job.error().message(),
            at + ":4: [workload] kind = \"fio\" needs job = \"path/to/job.fio\"");
  auto swap = load_at("[workload]\nkind = \"fio\"\njob = \"rw.fio\"\n");
  ASSERT_FALSE(swap.ok());
  EXPECT_NE(swap.error().message().find(":2: [workload] kind = \"fio\" runs on the device or"),
            std::string::npos);
  auto other_key = load_at(
      "[storage]\nuse = \"fs\"\n[workload]\nkind = \"fio\"\njob = "
      "\"rw.fio\"\nwriters = 2\n");
  ASSERT_FALSE(other_key.ok());
  EXPECT_EQ(other_key.error().message(),
            at + ":6: [workload] kind = \"fio\" takes no writers (it takes: job, args)");

  auto s = load_at(
      "[storage]\nuse = \"fs\"\n[workload]\nkind = \"fio\"\njob = \"rw.fio\"\n"
      "args = [\"--directory={mount}\", \"--filename={device}\"]\n");
  ASSERT_TRUE(s.ok()) << s.error().message();
  const WorkloadEntry& fio = workload_entry(WorkloadKind::kFio);
  auto argv = fio.argv(*s, storage::InUse{"/dev/nbd0", "/mnt/wedge", ""});
  ASSERT_TRUE(argv.ok()) << argv.error().message();
  EXPECT_EQ(fmt::format("{}", fmt::join(*argv, " ")),
            "/usr/bin/fio --output-format=json --output=/tmp/wedge-fio.json --eta=always "
            "--eta-interval=500ms --eta-newline=1s --directory=/mnt/wedge --filename=/dev/nbd0 "
            "/extra/rw.fio");
  EXPECT_EQ(fio.host_files(*s), std::vector<std::filesystem::path>{dir->path() / "rw.fio"});
  EXPECT_EQ(fio.result_file, std::string("/tmp/wedge-fio.json"));
  auto no_mount = fio.argv(*s, storage::InUse{"/dev/nbd0", "", ""});
  ASSERT_FALSE(no_mount.ok());
  EXPECT_EQ(no_mount.error().message(),
            at + ":6: [workload] args use {mount} but nothing is mounted (use = \"fs\")");
}

// The runner copies what host_files gives to /extra: command's files are its own key.
TEST(WorkloadRegistry, CommandHandsItsFilesToTheImage) {
  auto dir = TempDir::create("wedge-command-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(write_file_atomic(dir->path() / "repro", "#!/bin/sh\n").ok());
  const WorkloadEntry& command = workload_entry(WorkloadKind::kCommand);
  ASSERT_NE(command.host_files, nullptr);
  auto s = config::parse_scenario(
      "[workload]\nkind = \"command\"\nargv = [\"/extra/repro\"]\nfiles = [\"repro\"]\n",
      dir->path() / "c.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_TRUE(check_workload(*s).ok());
  EXPECT_EQ(command.host_files(*s), std::vector<std::filesystem::path>{dir->path() / "repro"});
  auto bare = load("[workload]\nkind = \"command\"\nargv = [\"/bin/true\"]\n");
  ASSERT_TRUE(bare.ok()) << bare.error().message();
  EXPECT_TRUE(command.host_files(*bare).empty());
}

TEST(WorkloadRegistry, FioStatusLinesAreProgressInPermille) {
  auto parse = workload_entry(WorkloadKind::kFio).parse_progress;
  // What fio 3.33 prints with --eta=always --eta-newline: \r-separated updates on one line.
  auto m = parse(
      "Jobs: 1 (f=1), 0B/s-10.0MiB/s: [w(1)][42.9%][w=10.0MiB/s][w=2561 IOPS][eta 00m:04s]\r"
      "Jobs: 1 (f=1), 0B/s-10.0MiB/s: [w(1)][57.1%][w=9.93MiB/s][w=2562 IOPS][eta 00m:03s]\r");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m, (agent::Measure{571, 1000, "permille", "w=9.93MiB/s"}));
  m = parse("Jobs: 1 (f=1): [w(1)][100.0%][w=20.0MiB/s][w=5125 IOPS][eta 00m:00s]");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->done, 1000u);
  m = parse("Jobs: 1 (f=1): [w(1)][7%][eta 01m:00s]");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->done, 70u);
  EXPECT_EQ(m->phase, "eta 01m:00s");
  // Not progress: other output, an unknown share, more than 100 %, hostile brackets.
  EXPECT_FALSE(parse("fio-3.33").has_value());
  EXPECT_FALSE(parse("Starting 1 process").has_value());
  EXPECT_FALSE(parse("Jobs: 1 (f=1): [w(1)][-.-%][eta 00m:00s]").has_value());
  EXPECT_FALSE(parse("Jobs: 1 (f=1): [w(1)][999.9%]").has_value());
  EXPECT_FALSE(parse("Jobs: [1e3%][0x10%][ 5%][5.%][.5%]").has_value());
  EXPECT_FALSE(parse("Jobs: [[[[[[[[[[[[[[[").has_value());
  EXPECT_FALSE(parse("Jobs: " + std::string(10000, '[') + "50%]").has_value());
  // The phase is bounded and printable.
  m = parse("Jobs: 1: [w(1)][50.0%][w=\x1b[2J]");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->phase.find('\x1b'), std::string::npos);
}

TEST(WorkloadRegistry, FioJsonResultIsSummarisedWithoutThrowing) {
  auto parse = workload_entry(WorkloadKind::kFio).parse_result;
  // Trimmed from fio 3.33's --output-format=json, with a note before the object.
  constexpr std::string_view kResult = R"(note: both iodepth >= 1 and synchronous I/O engine
{
  "fio version" : "fio-3.33",
  "jobs" : [
    {"jobname" : "randwrite", "error" : 0, "elapsed" : 7,
     "read" : {"io_bytes" : 0, "bw_bytes" : 0, "iops" : 0.0, "total_ios" : 0, "runtime" : 0},
     "write" : {"io_bytes" : 67108864, "bw_bytes" : 10485760, "iops" : 640.5,
                "total_ios" : 4096, "runtime" : 6400},
     "trim" : {"io_bytes" : 0}},
    {"jobname" : "second", "error" : 5, "elapsed" : 1,
     "write" : {"io_bytes" : 1048576, "iops" : -3, "bw_bytes" : "lots"}}
  ]
})";
  nlohmann::json r = parse(kResult);
  EXPECT_EQ(r["fio_version"], "fio-3.33");
  EXPECT_EQ(r["job_count"], 2);
  EXPECT_EQ(r["write_bytes"], 67108864u + 1048576u);
  EXPECT_EQ(r["read_bytes"], 0u);
  EXPECT_EQ(r["jobs"][0]["name"], "randwrite");
  EXPECT_EQ(r["jobs"][0]["write"]["total_ios"], 4096);
  EXPECT_DOUBLE_EQ(r["jobs"][0]["write"]["iops"].get<double>(), 640.5);
  EXPECT_EQ(r["jobs"][1]["error"], 5);
  EXPECT_EQ(r["jobs"][1]["write"]["bw_bytes"], 0) << "a string is not a number";
  EXPECT_EQ(r["jobs"][1]["write"]["iops"], 0.0) << "negative counts are dropped";

  // Hostile or broken output: an error object, never an exception.
  for (std::string bad : {std::string(""), std::string("no json"), std::string("{\"jobs\": ["),
                          std::string("{\"a\": \"\xc3\"}"), std::string(200000, '['),
                          "{\"jobs\":" + std::string(100000, '[') + std::string(100000, ']') + "}",
                          std::string("[1,2,3]"), std::string("{\"jobs\": 7}")}) {
    nlohmann::json out;
    EXPECT_NO_THROW(out = parse(bad)) << bad.substr(0, 40);
    EXPECT_TRUE(out.is_object());
    EXPECT_NO_THROW((void)out.dump());
  }
  EXPECT_EQ(parse("{\"jobs\": 7}")["job_count"], 0);
  EXPECT_TRUE(parse("no json").contains("error"));
  // Strings are bounded and cleaned; job lists are capped.
  std::string many = "{\"fio version\": \"" + std::string(1000, 'v') + "\\u001b\", \"jobs\": [";
  for (int i = 0; i < 100; ++i) many += fmt::format("{}{{\"jobname\": \"j{}\"}}", i ? "," : "", i);
  many += "]}";
  nlohmann::json capped = parse(many);
  EXPECT_EQ(capped["job_count"], 100);
  EXPECT_EQ(capped["jobs"].size(), 64u);
  EXPECT_LE(capped["fio_version"].get<std::string>().size(), 128u * 4);
  EXPECT_EQ(capped["fio_version"].get<std::string>().find('\x1b'), std::string::npos);
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
