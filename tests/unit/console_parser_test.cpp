// Console parser tests over real recorded kernel logs: each file in tests/testdata/console/
// starts with "# expect: KIND | TITLE" and "# absent: KIND" lines, then "# ---", then the log.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "harness/console/parser.h"
#include "harness/util/files.h"

namespace wedge::console {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::vector<std::pair<std::string, std::string>> expect;
  std::vector<std::string> absent;
  std::string log;
};

Case load_case(const fs::path& path) {
  auto text = read_file(path);
  EXPECT_TRUE(text.ok());
  Case c;
  std::string_view rest = *text;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (line == "# ---") break;
    if (line.rfind("# expect: ", 0) == 0) {
      std::string_view body = line.substr(10);
      size_t bar = body.find(" | ");
      c.expect.emplace_back(std::string(body.substr(0, bar)), std::string(body.substr(bar + 3)));
    } else if (line.rfind("# absent: ", 0) == 0) {
      c.absent.emplace_back(line.substr(10));
    }
  }
  c.log = std::string(rest);
  return c;
}

class RecordedLog : public ::testing::TestWithParam<std::string> {};

TEST_P(RecordedLog, YieldsExpectedEvents) {
  Case c = load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" / GetParam());
  ASSERT_FALSE(c.log.empty());
  ASSERT_FALSE(c.expect.empty() && c.absent.empty()) << "case file has no expectations";
  auto events = parse_events(c.log);
  for (const auto& [kind, title] : c.expect) {
    bool found = false;
    for (const auto& e : events) found |= (kind == to_string(e.kind) && e.title == title);
    EXPECT_TRUE(found) << "missing " << kind << " | " << title;
  }
  for (const auto& kind : c.absent) {
    for (const auto& e : events) {
      EXPECT_NE(kind, to_string(e.kind))
          << "unexpected event at line " << e.line << ": " << e.title;
    }
  }
}

std::vector<std::string> case_files() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(WEDGE_TESTDATA_DIR) / "console")) {
    if (e.path().extension() == ".log") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Console, RecordedLog, ::testing::ValuesIn(case_files()),
                         [](const auto& param_info) {
                           std::string n = param_info.param.substr(0, param_info.param.rfind('.'));
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

TEST(ConsoleScanner, SplitInputGivesSameEventsAsWhole) {
  Case c = load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" /
                     "host-nbd-server-stopped-hung-task-sysrq-w.log");
  auto whole = parse_events(c.log);
  ConsoleScanner scanner;
  std::vector<Event> pieces;
  for (size_t i = 0; i < c.log.size(); i += 37) {
    for (auto& e : scanner.feed(std::string_view(c.log).substr(i, 37))) pieces.push_back(e);
  }
  for (auto& e : scanner.finish()) pieces.push_back(e);
  ASSERT_EQ(whole.size(), pieces.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_EQ(whole[i].title, pieces[i].title);
    EXPECT_EQ(whole[i].line, pieces[i].line);
  }
}

// An RCU stall's trace has no end marker, and a stalled kernel may print nothing after it: the
// report is open until the caller says the console went quiet (recorded: 27 s of silence
// before the next line, which held the verdict back that long).
TEST(ConsoleScanner, OpenReportIsCompletedWhenTheConsoleGoesQuiet) {
  Case c = load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" / "wedge-crash-rcu-spin-quiet.log");
  ConsoleScanner scanner;
  std::vector<Event> fed = scanner.feed(c.log);
  EXPECT_TRUE(std::none_of(fed.begin(), fed.end(), [](const Event& e) {
    return e.kind == EventKind::kRcuStall;
  })) << "the stall report ended before the quiet: this test no longer tests anything";
  ASSERT_TRUE(scanner.has_open_report());
  std::vector<Event> quiet = scanner.complete_open_reports();
  EXPECT_FALSE(scanner.has_open_report());
  ASSERT_EQ(quiet.size(), 1u);
  EXPECT_EQ(quiet[0].kind, EventKind::kRcuStall);
  EXPECT_EQ(quiet[0].title, "INFO: rcu detected stall in wedge_crash_spin_thread");
  // Lines after the quiet are read as usual: the next report is found.
  auto later = scanner.feed(
      "[   52.710284] watchdog: BUG: soft lockup - CPU#1 stuck for 45s! [wedge_crash_spi:101]\n"
      "[   52.711018] RIP: 0010:wedge_crash_spinning+0x21/0x30 [wedge_crash]\n"
      "[   52.711020] Call Trace:\n"
      "[   52.711021]  <TASK>\n"
      "[   52.711834]  wedge_crash_spin_thread+0xa/0x10 [wedge_crash]\n"
      "[   52.711835]  kthread+0xda/0x100\n"
      "[   52.711836]  ret_from_fork+0x22/0x30\n"
      "[   52.711837]  </TASK>\n");
  for (auto& e : scanner.finish()) later.push_back(e);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].kind, EventKind::kSoftLockup);
}

TEST(ConsoleScanner, HungTaskCarriesTaskPidTimestampAndFrames) {
  Case c = load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" /
                     "host-nbd-server-stopped-hung-task-sysrq-w.log");
  auto events = parse_events(c.log);
  auto it = std::find_if(events.begin(), events.end(),
                         [](const Event& e) { return e.kind == EventKind::kHungTask; });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->task, "exe");
  EXPECT_EQ(it->pid, 168);
  ASSERT_TRUE(it->timestamp_s.has_value());
  EXPECT_NEAR(*it->timestamp_s, 31.799692, 1e-6);
  ASSERT_GE(it->frames.size(), 5u);
  EXPECT_EQ(it->frames[0], "__schedule");
  EXPECT_EQ(it->frames[4], "folio_wait_writeback");  // the '?' frame in between is dropped
}

TEST(ConsoleScanner, SyntheticMessagesAreRecognised) {
  std::string log =
      "[   10.000001] Out of memory: Killed process 77 (hog) total-vm:600000kB\n"
      "[   11.5] blk_update_request: I/O error, dev nbd0, sector 2048 op 0x1:(WRITE)\n"
      "[   12.0] Kernel panic - not syncing: Fatal exception\n"
      "[   13.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [spin:99]\n"
      "[   13.1] RIP: 0010:wedge_spin_forever+0x10/0x20 [wedge_crash]\n"
      "[   13.2] Call Trace:\n"
      "[   13.3]  <TASK>\n"
      "[   13.4]  wedge_write+0x40/0x60 [wedge_crash]\n"
      "[   13.5]  vfs_write+0xb0/0x2a0\n"
      "[   13.6] next line\n";
  auto events = parse_events(log);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].kind, EventKind::kOomKill);
  EXPECT_EQ(events[0].title, "out of memory: killed hog");
  EXPECT_EQ(events[0].pid, 77);
  EXPECT_EQ(events[1].title, "I/O error on nbd0");
  EXPECT_EQ(events[2].title, "kernel panic: Fatal exception");
  EXPECT_EQ(events[3].kind, EventKind::kSoftLockup);
  EXPECT_EQ(events[3].title, "BUG: soft lockup in wedge_write");
  EXPECT_EQ(events[3].task, "spin");
}

TEST(ConsoleScanner, MessageAfterItsWarningIsOneReport) {
  Case c =
      load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" / "odebug-message-after-its-warning.log");
  std::vector<std::string> warnings;
  for (const auto& e : parse_events(c.log)) {
    if (e.kind == EventKind::kWarning) warnings.push_back(e.title);
  }
  EXPECT_EQ(warnings, std::vector<std::string>{"WARNING: ODEBUG bug in nbd_config_put"});
}

TEST(ConsoleScanner, ReportsOfDifferentCallersComeInHeaderOrder) {
  Case c =
      load_case(fs::path(WEDGE_TESTDATA_DIR) / "console" / "caller-ids-interleaved-reports.log");
  auto events = parse_events(c.log);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, EventKind::kAtomicContext);
  EXPECT_EQ(events[0].context, "T1194");
  EXPECT_EQ(events[1].kind, EventKind::kHungTask);
  EXPECT_EQ(events[1].context, "T31");
}

TEST(BlamedFrame, SkipsWaitPrimitivesAndCompilerSuffixes) {
  EXPECT_EQ(blamed_frame({"__schedule", "schedule", "io_schedule", "folio_wait_bit_common",
                          "folio_wait_writeback", "shmem_swapin_folio.isra.0"}),
            "shmem_swapin_folio");
  EXPECT_EQ(blamed_frame({"__schedule", "rtnl_lock", "demo_netdev_event"}), "rtnl_lock");
  EXPECT_EQ(blamed_frame({"schedule", "kthread"}), "");
}

}  // namespace
}  // namespace wedge::console
