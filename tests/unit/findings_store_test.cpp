// The findings store: dedup by signature across summaries, first/last seen, counts, kernels,
// scenarios, bounded examples, idempotent recording, newest-first order, save and load.
#include "harness/run/findings_store.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"

namespace wedge::run {
namespace {

reports::Summary summary(const std::string& scenario, const std::string& kernel, int runs,
                         const std::string& day, const std::string& signature) {
  reports::Summary s;
  reports::CellSummary c;
  c.id = scenario;
  c.scenario = scenario;
  c.labels = {{"kernel", kernel}};
  for (int r = 1; r <= runs; ++r) {
    reports::RunEntry e;
    e.repeat = r;
    e.dir = "runs/" + scenario + "-" + day + "/r" + std::to_string(r);
    e.started_at = day + "T10:0" + std::to_string(r) + ":00Z";
    e.kernel_release = kernel;
    e.findings = {{"hang", "INFO: task hung in " + signature, "hang: " + signature},
                  {"hang", "again", "hang: " + signature}};  // twice in one run counts once
    c.runs.push_back(e);
  }
  s.cells.push_back(c);
  return s;
}

TEST(FindingsStoreTest, DeduplicatesBySignatureAcrossRuns) {
  auto dir = TempDir::create("findings-test");
  ASSERT_TRUE(dir.ok());
  FindingsStore store;
  record_summary(store, summary("nbd-swap-hog", "6.1.0-56", 3, "2026-11-20", "rq_qos_wait"),
                 dir->path());
  record_summary(store, summary("iscsi-hog", "6.1.0-57", 7, "2026-11-22", "rq_qos_wait"),
                 dir->path());
  record_summary(store, summary("nbd-swap-hog", "6.1.0-57", 1, "2026-11-21", "folio_wait_bit"),
                 dir->path());
  // Recording the same runs again changes nothing.
  record_summary(store, summary("iscsi-hog", "6.1.0-57", 7, "2026-11-22", "rq_qos_wait"),
                 dir->path());
  ASSERT_EQ(store.findings.size(), 2u);
  auto ordered = newest_first(store);
  const StoredFinding& f = ordered[0];
  EXPECT_EQ(f.signature, "hang: rq_qos_wait");
  EXPECT_EQ(f.count, 10);
  EXPECT_EQ(f.first_seen, "2026-11-20T10:01:00Z");
  EXPECT_EQ(f.last_seen, "2026-11-22T10:07:00Z");
  EXPECT_EQ(f.kernels, (std::set<std::string>{"6.1.0-56", "6.1.0-57"}));
  EXPECT_EQ(f.scenarios, (std::set<std::string>{"iscsi-hog", "nbd-swap-hog"}));
  ASSERT_EQ(f.examples.size(), kMaxExamples);
  EXPECT_NE(f.examples.back().find("iscsi-hog-2026-11-22/r7"), std::string::npos);
  EXPECT_EQ(ordered[1].signature, "hang: folio_wait_bit");
  EXPECT_EQ(ordered[1].count, 1);

  ASSERT_TRUE(save_findings_store(store, dir->path()).ok());
  auto loaded = load_findings_store(dir->path());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_EQ(findings_store_json(*loaded), findings_store_json(store));
}

TEST(FindingsStoreTest, MissingStoreIsEmptyAndCorruptStoreIsAnError) {
  auto dir = TempDir::create("findings-test");
  ASSERT_TRUE(dir.ok());
  auto empty = load_findings_store(dir->path());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->findings.empty());
  ASSERT_TRUE(write_file_atomic(dir->path() / "findings.json", "{\"findings\": 3}").ok());
  EXPECT_FALSE(load_findings_store(dir->path()).ok());
}

}  // namespace
}  // namespace wedge::run
