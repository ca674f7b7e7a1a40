// Unit tests for harness/agent's sample parsing (on /proc text recorded from a real host in
// tests/testdata/proc/) and the hog's progress lines.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace wedge::agent
