// Matrix files: loading, expansion into cells, deterministic sharding, summaries and merging
// shard summaries back into the unsharded one.
#include <gtest/gtest.h>

#include <set>

#include "harness/config/load_scenario.h"
#include "harness/config/matrix_file.h"
#include "harness/run/matrix_runner.h"
#include "harness/run/matrix_summary.h"
#include "harness/run/shard.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge {
namespace {

constexpr const char* kMatrix = R"(
name = "nightly-test"
scenarios = ["nbd-swap-hog", "nbd-server-stall", "nbd-loopback-deadlock"]
repeat = 3

[axes]
memory_mib = [128, 256]
fault = ["scenario", "none"]
sysctl = ["default", "low-dirty"]

[sysctl.low-dirty]
"vm.dirty_ratio" = 5
"vm.dirty_background_ratio" = 2
)";

std::vector<config::Cell> cells_of(const char* text) {
  auto m = config::parse_matrix(text, "test.toml");
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  auto cells = config::expand_matrix(*m);
  EXPECT_TRUE(cells.ok()) << (cells.ok() ? "" : cells.error().message());
  return cells.ok() ? *cells : std::vector<config::Cell>{};
}

TEST(MatrixTest, ExpandsScenariosTimesAxes) {
  auto cells = cells_of(kMatrix);
  ASSERT_EQ(cells.size(), 3u * 2 * 2 * 2);
  EXPECT_EQ(cells[0].id, "nbd-swap-hog.mem-128.fault-scenario.sysctl-default");
  EXPECT_EQ(cells[1].id, "nbd-swap-hog.mem-128.fault-scenario.sysctl-low-dirty");
  EXPECT_EQ(cells[2].id, "nbd-swap-hog.mem-128.fault-none.sysctl-default");
  std::set<std::string> ids;
  for (const auto& c : cells) ids.insert(c.id);
  EXPECT_EQ(ids.size(), cells.size());
  for (size_t i = 0; i < cells.size(); ++i) EXPECT_EQ(cells[i].index, static_cast<int>(i));
}

TEST(MatrixTest, CellScenarioCarriesTheAxisValues) {
  auto cells = cells_of(kMatrix);
  // nbd-server-stall, 256 MiB, faults removed, low dirty ratios.
  const config::Cell* cell = nullptr;
  for (const auto& c : cells) {
    if (c.id == "nbd-server-stall.mem-256.fault-none.sysctl-low-dirty") cell = &c;
  }
  ASSERT_NE(cell, nullptr);
  auto s = config::parse_scenario(cell->toml, "cell.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->guest.memory_mib, 256);
  EXPECT_TRUE(s->faults.empty());
  EXPECT_NE(s->guest.cmdline.find("sysctl.vm.dirty_ratio=5"), std::string::npos);
  EXPECT_NE(s->guest.cmdline.find("sysctl.vm.dirty_background_ratio=2"), std::string::npos);
  EXPECT_EQ(reports::label(cell->labels, "workload"), "swap-hog");
  EXPECT_EQ(reports::label(cell->labels, "transport"), "nbd");
  // The "scenario" fault set keeps the scenario's own faults.
  auto kept = config::parse_scenario(cells[8].toml, "cell.toml");  // stall, 128, scenario, default
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(cells[8].id, "nbd-server-stall.mem-128.fault-scenario.sysctl-default");
  EXPECT_EQ(kept->faults.size(), 1u);
}

TEST(MatrixTest, NamedFaultSetReplacesTheScenarioFaults) {
  auto cells = cells_of(R"(
scenarios = ["nbd-swap-hog"]
[axes]
kernel = ["default", "/boot/vmlinuz-6.1.0-test"]
fault = ["stall"]
[[fault.stall]]
kind = "server-stall"
at_s = 5
duration_s = 20
)");
  ASSERT_EQ(cells.size(), 2u);
  EXPECT_EQ(cells[1].id, "nbd-swap-hog.kernel-vmlinuz-6_1_0-test.fault-stall");
  auto s = config::parse_scenario(cells[1].toml, "cell.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(s->faults.size(), 1u);
  EXPECT_EQ(s->faults[0].kind, config::FaultKind::kServerStall);
  EXPECT_EQ(s->faults[0].duration_s, 20);
  EXPECT_EQ(s->guest.kernel, "/boot/vmlinuz-6.1.0-test");
}

// A kernel axis value that is a `wedge kernel build` folder (named by a 64-digit key) gives a
// short token: a run folder under a long cell name once overflowed the 107-byte unix socket
// path of the guest agent's socket inside it.
TEST(Matrix, LongValuesGiveShortDistinctTokens) {
  const std::string key_a(64, 'a');
  std::string key_b = key_a;
  key_b.back() = 'b';
  std::string a = config::cell_token("/root/.cache/wedge/kernel/builds/" + key_a);
  std::string b = config::cell_token("/root/.cache/wedge/kernel/builds/" + key_b);
  EXPECT_LE(a.size(), 26u);
  EXPECT_TRUE(a.starts_with("aaaaaaaaaaaaaaaa-")) << a;
  EXPECT_NE(a, b);
  EXPECT_EQ(a, config::cell_token("/root/.cache/wedge/kernel/builds/" + key_a));
  EXPECT_EQ(config::cell_token("/boot/vmlinuz-6.1.0-test"), "vmlinuz-6_1_0-test");
}

TEST(MatrixTest, ErrorsNameTheFileAndLine) {
  auto unknown = config::parse_matrix("scenarios = [\"nbd-swap-hog\"]\nrepeats = 2\n", "m.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(), "m.toml:2: unknown key repeats");
  auto missing =
      config::parse_matrix("scenarios = [\"a\"]\n[axes]\nfault = [\"nope\"]\n", "m.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("axes.fault names \"nope\""), std::string::npos);
  auto bad_cell = config::parse_matrix(
      "scenarios = [\"nbd-swap-hog\"]\n[axes]\nfault = [\"bad\"]\n[fault.bad]\nkind = \"x\"\n",
      "m.toml");
  ASSERT_TRUE(bad_cell.ok());
  auto expanded = config::expand_matrix(*bad_cell);
  ASSERT_FALSE(expanded.ok());
  EXPECT_NE(expanded.error().message().find("matrix cell nbd-swap-hog.fault-bad"),
            std::string::npos);
}

class NightlyTest : public testing::TempDirFixture {};

// The nightly has one cell per built-in scenario, and every cell file it writes passes the
// checks `wedge matrix` makes before running anything (found: a kernel axis of "default" gave
// the 9p cell a kernel without 9p, and the fio cell's job file was refused as outside cells/).
TEST_F(NightlyTest, CoversEveryBuiltinScenarioAndEveryCellPassesTheRunChecks) {
  auto m = config::load_matrix(std::string(WEDGE_SOURCE_DIR) + "/ci/nightly.toml");
  ASSERT_TRUE(m.ok()) << m.error().message();
  auto cells = config::expand_matrix(*m);
  ASSERT_TRUE(cells.ok()) << cells.error().message();
  auto names = config::builtin_scenario_names();
  ASSERT_EQ(cells->size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ((*cells)[i].id, names[i]);
  EXPECT_EQ(m->repeat, 2);
  auto files = run::write_cell_files(*cells, dir());
  ASSERT_TRUE(files.ok()) << files.error().message();
  for (const auto& file : *files) {
    auto checked = run::load_cell_scenario(file);
    EXPECT_TRUE(checked.ok()) << file << ": " << checked.error().message();
  }
}

TEST(ShardTest, EveryCellInExactlyOneShardForOneToSevenShards) {
  auto cells = cells_of(kMatrix);
  for (int n = 1; n <= 7; ++n) {
    std::vector<int> owners(cells.size(), 0);
    std::vector<int> sizes(n, 0);
    for (int i = 1; i <= n; ++i) {
      auto shard = run::parse_shard(std::to_string(i) + "/" + std::to_string(n));
      ASSERT_TRUE(shard.ok());
      for (const auto& c : cells) {
        if (run::in_shard(*shard, c.index)) {
          ++owners[c.index];
          ++sizes[i - 1];
        }
      }
    }
    for (int o : owners) EXPECT_EQ(o, 1) << "N=" << n;
    auto [lo, hi] = std::minmax_element(sizes.begin(), sizes.end());
    EXPECT_LE(*hi - *lo, 1) << "N=" << n;
  }
}

TEST(ShardTest, RejectsMalformedShards) {
  for (const char* bad : {"0/3", "4/3", "1/0", "2", "a/b", "1/3x"}) {
    EXPECT_FALSE(run::parse_shard(bad).ok()) << bad;
  }
  EXPECT_EQ(run::parse_shard("3/7")->name(), "3/7");
}

// A finished run as the summary records it, without running anything.
reports::RunEntry entry(int repeat, const std::string& verdict, int exit_code,
                        const std::string& signature = "") {
  reports::RunEntry e;
  e.repeat = repeat;
  e.dir = "runs/x/r" + std::to_string(repeat);
  e.verdict = verdict;
  e.exit_code = exit_code;
  e.run_s = 60 + repeat;
  e.started_at = "2026-11-25T10:00:0" + std::to_string(repeat) + "Z";
  if (!signature.empty()) e.findings.push_back({"hang", "t", signature});
  return e;
}

reports::Summary summary_for(const std::vector<config::Cell>& cells, const run::Shard& shard) {
  reports::Summary s;
  s.name = "nightly-test";
  s.created_at = "2026-11-25T11:00:00Z";
  s.repeat = 3;
  s.cell_total = static_cast<int>(cells.size());
  s.shard = shard.whole() ? "" : shard.name();
  for (const auto& c : cells) {
    if (!run::in_shard(shard, c.index)) continue;
    std::vector<reports::RunEntry> runs = {entry(3, "pass", 0), entry(1, "pass", 0)};
    runs.push_back(c.index % 3 == 0 ? entry(2, "hang", 1, "hang: " + c.scenario)
                                    : entry(2, "infra_error", 125));
    s.cells.push_back(run::summarize_cell(c, runs));
  }
  return s;
}

TEST(SummaryTest, TalliesFailuresIntervalsAndVerdictMix) {
  auto cells = cells_of(kMatrix);
  auto s = summary_for(cells, {});
  const auto& hang = s.cells[0];
  EXPECT_EQ(hang.failures, 1);
  EXPECT_EQ(hang.counted, 3);
  EXPECT_NEAR(hang.rate, 1.0 / 3, 1e-12);
  EXPECT_NEAR(hang.ci_low, 0.0615, 1e-4);
  EXPECT_NEAR(hang.ci_high, 0.7923, 1e-4);
  EXPECT_EQ(hang.runs[0].repeat, 1);  // sorted by repeat
  EXPECT_EQ(hang.verdicts.at("pass"), 2);
  EXPECT_EQ(hang.verdicts.at("hang"), 1);
  const auto& infra = s.cells[1];
  EXPECT_EQ(infra.failures, 0);
  EXPECT_EQ(infra.counted, 2);  // the infra error is not counted
  EXPECT_EQ(infra.verdicts.at("infra_error"), 1);
}

TEST(SummaryTest, JsonRoundTripIsLossless) {
  auto s = summary_for(cells_of(kMatrix), {});
  s.new_findings = {"hang: nbd-swap-hog"};
  auto back = reports::summary_from_json(reports::summary_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(reports::summary_json(*back), reports::summary_json(s));
  EXPECT_EQ(back->cells[5].axes, s.cells[5].axes);  // order kept
}

TEST(SummaryTest, MergedShardsEqualTheUnshardedSummary) {
  auto cells = cells_of(kMatrix);
  auto whole = summary_for(cells, {});
  for (int n = 1; n <= 7; ++n) {
    std::vector<reports::Summary> shards;
    for (int i = n; i >= 1; --i) {  // any order
      // Through JSON, as `wedge merge` reads them from disk.
      auto s = summary_for(cells, {i, n});
      shards.push_back(*reports::summary_from_json(reports::summary_json(s)));
    }
    auto merged = run::merge_summaries(shards);
    ASSERT_TRUE(merged.ok()) << merged.error().message();
    EXPECT_EQ(reports::summary_json(*merged), reports::summary_json(whole)) << "N=" << n;
  }
}

TEST(SummaryTest, MergeRejectsOverlapsGapsAndOtherMatrices) {
  auto cells = cells_of(kMatrix);
  auto a = summary_for(cells, {1, 2});
  auto overlap = run::merge_summaries({a, a});
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.error().message(), "cell 0 (" + cells[0].id + ") is in more than one summary");
  auto gap = run::merge_summaries({a});
  ASSERT_FALSE(gap.ok());
  EXPECT_EQ(
      gap.error().message(),
      "the summaries cover 12 of 24 cells (missing: 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23)");
  EXPECT_TRUE(run::merge_summaries({a}, true).ok());
  auto other = summary_for(cells, {2, 2});
  other.name = "other";
  EXPECT_FALSE(run::merge_summaries({a, other}).ok());
}

TEST(SummaryTest, NewFindingsAreThoseAbsentFromTheBaseline) {
  auto cells = cells_of(kMatrix);
  auto base = summary_for(cells, {});
  auto now = base;
  now.cells[1].runs[0].findings.push_back({"crash", "BUG: x", "crash: BUG at mm/x.c"});
  EXPECT_EQ(run::new_findings(now, base), std::vector<std::string>{"crash: BUG at mm/x.c"});
  EXPECT_TRUE(run::new_findings(base, base).empty());
}

TEST(SummaryTest, BisectExitCodes) {
  reports::CellSummary c;
  c.runs = {entry(1, "pass", 0), entry(2, "hang", 1), entry(3, "pass", 0), entry(4, "pass", 0)};
  EXPECT_EQ(run::bisect_exit_code(c, 0), 1);     // 1/4 > 0: bad
  EXPECT_EQ(run::bisect_exit_code(c, 0.25), 0);  // 1/4 is not above 0.25: good
  c.runs = {entry(1, "infra_error", 125), entry(2, "boot_failure", 1)};
  EXPECT_EQ(run::bisect_exit_code(c, 0), 125);  // nothing tested the bug: skip
  c.runs = {entry(1, "pass", 0), entry(2, "boot_failure", 1)};
  EXPECT_EQ(run::bisect_exit_code(c, 0), 0);
}

TEST(MatrixRunnerTest, JobsAreRepeatMajorWithOneDirectoryEach) {
  auto cells = cells_of(kMatrix);
  std::vector<std::filesystem::path> files(cells.size(), "cell.toml");
  auto jobs = run::plan_jobs(cells, files, 3, "/out");
  ASSERT_EQ(jobs.size(), cells.size() * 3);
  EXPECT_EQ(jobs[0].repeat, 1);
  EXPECT_EQ(jobs[1].cell, 1);
  EXPECT_EQ(jobs[cells.size()].repeat, 2);
  EXPECT_EQ(jobs[cells.size()].cell, 0);
  EXPECT_EQ(jobs[0].run_dir, "/out/runs/" + cells[0].id + "/r1");
  EXPECT_EQ(jobs[0].timeout_s, cells[0].duration_s + 900);
}

}  // namespace
}  // namespace wedge
