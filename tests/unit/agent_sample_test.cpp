// Unit tests for harness/agent's sample parsing (on /proc text recorded from a real host in
// tests/testdata/proc/) and the hog's progress lines.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/agent/progress.h"
#include "harness/agent/sample.h"
#include "harness/util/files.h"
#include "tests/unit/testdata.h"

namespace wedge::agent {
namespace {

std::string testdata(const std::string& name) { return wedge::testing::testdata("proc/" + name); }

Sample recorded_sample() {
  return Sample{123456, testdata("meminfo"), testdata("vmstat"), testdata("pressure_memory"),
                testdata("pressure_io")};
}

TEST(AgentSample, ParsesRecordedProcFiles) {
  MemSnapshot s = parse_sample(recorded_sample());
  EXPECT_EQ(s.uptime_ms, 123456u);
  // Values as recorded in tests/testdata/proc/meminfo.
  EXPECT_EQ(s.mem_total_kb, 24684096u);
  EXPECT_EQ(s.mem_free_kb, 23043980u);
  EXPECT_EQ(s.mem_available_kb, 23879752u);
  EXPECT_EQ(s.dirty_kb, 186688u);
  EXPECT_EQ(s.writeback_kb, 0u);
  EXPECT_EQ(s.anon_pages_kb, 249880u);
  EXPECT_EQ(s.swap_total_kb, 0u);
  // tests/testdata/proc/vmstat
  EXPECT_EQ(s.nr_dirty, 46672u);
  EXPECT_EQ(s.pgmajfault, 1745u);
  EXPECT_EQ(s.pswpout, 0u);
  EXPECT_EQ(s.oom_kill, 0u);
  // tests/testdata/proc/pressure_{memory,io}
  EXPECT_EQ(s.psi_memory_some_total_us, 0u);
  EXPECT_DOUBLE_EQ(s.psi_io_some_avg10, 0.0);
  EXPECT_EQ(s.psi_io_some_total_us, 4384553u);
  EXPECT_EQ(s.psi_io_full_total_us, 4165141u);
}

TEST(AgentSample, LookupHelpersMatchParse) {
  Sample sample = recorded_sample();
  EXPECT_EQ(meminfo_value(sample.meminfo, "MemTotal"), 24684096u);
  EXPECT_EQ(vmstat_value(sample.vmstat, "nr_dirty"), 46672u);
  EXPECT_EQ(meminfo_value(sample.meminfo, "NoSuchKey"), 0u);
  // "Mem" is a prefix of real keys but not a key.
  EXPECT_EQ(meminfo_value(sample.meminfo, "Mem"), 0u);
}

// A guest under swap pressure (shape of a 6.1 guest's files, values chosen to be distinct).
TEST(AgentSample, ParsesASwappingGuest) {
  Sample sample;
  sample.meminfo =
      "MemTotal:         245000 kB\nMemFree:            3000 kB\nMemAvailable:       9000 kB\n"
      "Dirty:              1200 kB\nWriteback:           800 kB\nSwapTotal:        614396 kB\n"
      "SwapFree:         400000 kB\nSwapCached:         1500 kB\n";
  sample.vmstat =
      "nr_free_pages 750\nnr_dirty 300\nnr_writeback 200\npswpin 4000\npswpout 53000\n"
      "pgscan_kswapd 90000\npgscan_direct 12000\npgsteal_kswapd 70000\npgsteal_direct 9000\n"
      "allocstall_dma 1\nallocstall_dma32 20\nallocstall_normal 300\nallocstall_movable 0\n"
      "oom_kill 2\n";
  sample.psi_memory =
      "some avg10=12.34 avg60=5.00 avg300=1.00 total=987654\n"
      "full avg10=7.50 avg60=2.00 avg300=0.50 total=456789\n";
  sample.psi_io = "some avg10=99.99 avg60=50.00 avg300=10.00 total=111\n";
  MemSnapshot s = parse_sample(sample);
  EXPECT_EQ(s.swap_total_kb, 614396u);
  EXPECT_EQ(s.swap_free_kb, 400000u);
  EXPECT_EQ(s.writeback_kb, 800u);
  EXPECT_EQ(s.pswpin, 4000u);
  EXPECT_EQ(s.pswpout, 53000u);
  EXPECT_EQ(s.pgscan_direct, 12000u);
  EXPECT_EQ(s.pgsteal_kswapd, 70000u);
  EXPECT_EQ(s.allocstall, 321u);
  EXPECT_EQ(s.oom_kill, 2u);
  EXPECT_EQ(s.nr_free_pages, 750u);
  EXPECT_DOUBLE_EQ(s.psi_memory_some_avg10, 12.34);
  EXPECT_DOUBLE_EQ(s.psi_memory_full_avg10, 7.5);
  EXPECT_EQ(s.psi_memory_some_total_us, 987654u);
  EXPECT_EQ(s.psi_memory_full_total_us, 456789u);
  EXPECT_DOUBLE_EQ(s.psi_io_some_avg10, 99.99);
  EXPECT_DOUBLE_EQ(s.psi_io_full_avg10, 0.0);  // no "full" line: 0
}

TEST(AgentSample, GarbageNeverThrows) {
  Sample sample;
  sample.meminfo =
      ":\n:::\nMemTotal: kB\nMemFree: -5 kB\n\n\nSwapTotal: 99999999999999999999999 kB";
  sample.vmstat = " \npswpout\npswpin x\n\0\n";
  sample.psi_memory = "some avg10= total=\nfull avg10=abc total=-1 junk";
  sample.psi_io = std::string(1000, '=');
  MemSnapshot s;
  ASSERT_NO_THROW(s = parse_sample(sample));
  EXPECT_EQ(s.mem_total_kb, 0u);
  EXPECT_EQ(s.mem_free_kb, 0u);
  EXPECT_EQ(s.swap_total_kb, 0u);
  EXPECT_EQ(s.pswpin, 0u);
  EXPECT_EQ(parse_sample(Sample{}), MemSnapshot{});
}

TEST(AgentSample, ModuleNamesOfProcModules) {
  EXPECT_EQ(module_names("wedge_crash 16384 0 - Live 0xffffffffc0600000 (OE)\n"
                         "nbd 65536 0 - Live 0xffffffffc0353000\n"
                         "virtio_console 45056 1 - Live 0xffffffffc0340000\n"),
            (std::vector<std::string>{"wedge_crash", "nbd", "virtio_console"}));
  // The agent's buffer may cut the last line: a name alone is no entry.
  EXPECT_EQ(module_names("nbd 65536 0 - Live 0xffffffffc0353000\nvirtio_con"),
            (std::vector<std::string>{"nbd"}));
  EXPECT_TRUE(module_names("").empty());
}

TEST(AgentSample, JsonLineHasEveryField) {
  MemSnapshot s = parse_sample(recorded_sample());
  std::string line = to_json_line(s);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.rfind("{\"uptime_ms\":123456,\"mem_total_kb\":24684096,", 0), 0u) << line;
  nlohmann::json j = nlohmann::json::parse(line);
  EXPECT_EQ(j.size(), 35u);
  EXPECT_EQ(j["nr_dirty"], 46672);
  EXPECT_EQ(j["psi_io_some_total_us"], 4384553);
  EXPECT_DOUBLE_EQ(j["psi_memory_some_avg10"].get<double>(), 0.0);
}

TEST(AgentProgress, ParsesHogLines) {
  EXPECT_EQ(parse_progress_line("progress 16 64"), (Progress{16, 64}));
  EXPECT_EQ(parse_progress_line("progress 64 64\n"), (Progress{64, 64}));
  EXPECT_EQ(parse_progress_line("progress 0 5\r\n"), (Progress{0, 5}));
  EXPECT_FALSE(parse_progress_line("progress 65 64"));
  EXPECT_FALSE(parse_progress_line("progress 16"));
  EXPECT_FALSE(parse_progress_line("progress 16 64 extra"));
  EXPECT_FALSE(parse_progress_line("progress -1 64"));
  EXPECT_FALSE(parse_progress_line("progress  16 64"));
  EXPECT_FALSE(parse_progress_line("verify ok"));
  EXPECT_FALSE(parse_progress_line(""));
  EXPECT_FALSE(parse_progress_line("progress 99999999999999999999999 1"));
}

// The files the host has the agent watch for a cgroup run on nbd0.
TEST(AgentSample, WatchedPathsForTheCgroupAndTheDevice) {
  EXPECT_EQ(watched_paths("/sys/fs/cgroup/wedge", "/dev/nbd0"),
            (std::vector<std::string>{
                "/sys/fs/cgroup/wedge/memory.current", "/sys/fs/cgroup/wedge/memory.swap.current",
                "/sys/fs/cgroup/wedge/memory.events", "/sys/class/block/nbd0/inflight",
                "/sys/class/block/nbd0/stat"}));
  EXPECT_EQ(
      watched_paths("", "/dev/md0"),
      (std::vector<std::string>{"/sys/class/block/md0/inflight", "/sys/class/block/md0/stat"}));
  EXPECT_TRUE(watched_paths("", "").empty());       // 9p: no cgroup, no device
  EXPECT_TRUE(watched_paths("", "/dev/").empty());  // no name
  EXPECT_TRUE(watched_paths("", "/dev/a b").empty());
  EXPECT_TRUE(watched_paths("", "/dev/" + std::string(33, 'a')).empty());
}

// Files as a 6.1 guest's cgroup v2 and sysfs hold them (stat has 17 fields since 5.5; its
// sectors are fields 3 and 7).
Sample watched_sample() {
  Sample s;
  s.watched = {
      {"/sys/fs/cgroup/wedge/memory.current", "67104768\n"},
      {"/sys/fs/cgroup/wedge/memory.swap.current", "0\n"},
      {"/sys/fs/cgroup/wedge/memory.events",
       "low 0\nhigh 17\nmax 2303\noom 4\noom_kill 1\noom_group_kill 0\n"},
      {"/sys/class/block/nbd0/inflight", "       2       31\n"},
      {"/sys/class/block/nbd0/stat",
       "     150        0     6746      120    20118        0   160944   893512        2"
       "   96080   893632        0        0        0        0        0        0\n"},
  };
  return s;
}

TEST(AgentSample, ParsesWatchedCgroupAndDeviceFiles) {
  MemSnapshot s = parse_sample(watched_sample());
  EXPECT_EQ(s.cgroup_memory_current_bytes, 67104768u);
  EXPECT_EQ(s.cgroup_swap_current_bytes, 0u);
  EXPECT_EQ(s.cgroup_events_low, 0u);
  EXPECT_EQ(s.cgroup_events_high, 17u);
  EXPECT_EQ(s.cgroup_events_max, 2303u);
  EXPECT_EQ(s.cgroup_events_oom, 4u);
  EXPECT_EQ(s.cgroup_events_oom_kill, 1u);
  EXPECT_EQ(s.block_device, "nbd0");
  EXPECT_EQ(s.block_inflight_reads, 2u);
  EXPECT_EQ(s.block_inflight_writes, 31u);
  EXPECT_EQ(s.block_sectors_read, 6746u);
  EXPECT_EQ(s.block_sectors_written, 160944u);
  // A pre-5.5 stat (11 fields) reads the same.
  EXPECT_EQ(parse_block_stat("1 2 3 4 5 6 7 8 9 10 11\n"), (BlockStat{3, 7}));

  nlohmann::json j = nlohmann::json::parse(to_json_line(s));
  EXPECT_EQ(j["cgroup_memory_current_bytes"], 67104768u);
  EXPECT_EQ(j["cgroup_events_max"], 2303u);
  EXPECT_EQ(j["block_device"], "nbd0");
  EXPECT_EQ(j["block_sectors_written"], 160944u);
  EXPECT_EQ(j["block_inflight_writes"], 31u);
}

// This host's own block devices, read as the agent reads a guest's.
TEST(AgentSample, ParsesThisHostsSysBlockFiles) {
  std::error_code ec;
  int seen = 0;
  for (const auto& e : std::filesystem::directory_iterator("/sys/block", ec)) {
    auto stat = read_file(e.path() / "stat");
    auto inflight = read_file(e.path() / "inflight");
    if (!stat.ok() || !inflight.ok()) continue;
    EXPECT_TRUE(parse_block_stat(*stat)) << e.path() << ": " << *stat;
    EXPECT_TRUE(parse_block_inflight(*inflight)) << e.path() << ": " << *inflight;
    ++seen;
  }
  if (seen == 0) GTEST_SKIP() << "no /sys/block here";
}

// Without watched files (an old agent, a run without cgroup or device), the new fields stay
// absent and the JSON line is what it was.
TEST(AgentSample, NoWatchedFilesLeavesTheNewFieldsOut) {
  MemSnapshot s = parse_sample(recorded_sample());
  EXPECT_FALSE(s.cgroup_memory_current_bytes);
  EXPECT_FALSE(s.cgroup_events_oom_kill);
  EXPECT_FALSE(s.block_sectors_written);
  EXPECT_EQ(s.block_device, "");
  std::string line = to_json_line(s);
  EXPECT_EQ(line.find("cgroup_"), std::string::npos);
  EXPECT_EQ(line.find("block_"), std::string::npos);
}

// What the guest sends is hostile: numbers out of range, words, negative values, a path that
// is not a block device's, a device name that would break out of HTML or JSON.
TEST(AgentSample, HostileWatchedFilesAreIgnored) {
  EXPECT_FALSE(single_number("99999999999999999999999\n"));
  EXPECT_FALSE(single_number("-5\n"));
  EXPECT_FALSE(single_number("max\n"));
  EXPECT_FALSE(single_number(""));
  EXPECT_FALSE(single_number("1 2\n"));
  EXPECT_FALSE(single_number("12abc\n"));
  EXPECT_EQ(single_number("  42\n"), 42u);
  EXPECT_FALSE(parse_memory_events("nothing here\n"));
  EXPECT_FALSE(parse_memory_events("oom_kill -1\n"));
  EXPECT_EQ(parse_memory_events("oom_kill 3\nbogus\nmax 99999999999999999999999\n"),
            (MemoryEvents{0, 0, 0, 0, 3}));
  EXPECT_FALSE(parse_block_inflight("7\n"));
  EXPECT_FALSE(parse_block_inflight("a b\n"));
  EXPECT_FALSE(parse_block_stat("1 2 3 4 5 6\n"));
  EXPECT_FALSE(parse_block_stat("1 2 3 4 5 6 x 8 9 10 11\n"));
  EXPECT_FALSE(parse_block_stat(std::string(1024, '9')));

  Sample hostile;
  hostile.watched = {
      {"/sys/fs/cgroup/wedge/memory.current", "18446744073709551616\n"},  // 2^64
      {"/sys/class/block/nbd0/stat", "garbage"},
      {"/proc/stat", "cpu 1 2 3 4 5 6 7 8\n"},             // not a device's
      {"/sys/class/block/\"><script>/inflight", "1 2\n"},  // not a kernel name
      {"/sys/class/block/" + std::string(40, 'a') + "/inflight", "1 2\n"},
      {"inflight", "1 2\n"},
      {"", ""},
      {std::string(1, '\0'), std::string("\0\0", 2)},
  };
  MemSnapshot s = parse_sample(hostile);
  EXPECT_FALSE(s.cgroup_memory_current_bytes);
  EXPECT_FALSE(s.block_sectors_written);
  EXPECT_FALSE(s.block_inflight_reads);
  EXPECT_EQ(s.block_device, "");
  std::string line = to_json_line(s);
  EXPECT_EQ(line.find("block_"), std::string::npos);
}

}  // namespace
}  // namespace wedge::agent
