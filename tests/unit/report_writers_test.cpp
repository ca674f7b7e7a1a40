// The report writers on recorded run dirs (tests/testdata/runs), checked by the tools that
// consume them: JSON Schema (python3-jsonschema), xmllint against reports/schema/junit.xsd and
// junitparser reading it back, promtool, and headless Chromium for the HTML pages.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "harness/run/matrix_summary.h"
#include "harness/util/files.h"
#include "harness/util/process.h"
#include "reports/prometheus.h"
#include "reports/registry.h"
#include "reports/run_reader.h"
#include "tests/schema_validation.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const fs::path kRuns = fs::path(WEDGE_TESTDATA_DIR) / "runs";
const fs::path kSchemas = WEDGE_SCHEMA_DIR;
constexpr const char* kPython = "/usr/bin/python3";  // Debian's, with python3-* modules

class ReportWritersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("writers-test");
    ASSERT_TRUE(dir.ok());
    tmp_.emplace(std::move(*dir));
    root_ = tmp_->path();
    fs::copy(kRuns, root_ / "runs", fs::copy_options::recursive);
    summary_.name = "writers \"test\"";
    summary_.created_at = "2026-11-25T12:00:00Z";
    summary_.matrix_file = "test.toml";
    summary_.repeat = 2;
    summary_.cell_total = 2;
    summary_.cells.push_back(
        cell(0, "nbd-swap-hog", {"nbd-swap-hog-pass", "iscsi-server-stall-pass"}));
    summary_.cells.push_back(
        cell(1, "nbd-loopback-io-flusher", {"nbd-loopback-io-flusher-hang", ""}));
  }

  reports::CellSummary cell(int index, const std::string& scenario,
                            const std::vector<std::string>& dirs) {
    config::Cell c;
    c.index = index;
    c.id = scenario + ".mem-256";
    c.scenario = scenario;
    c.axes = {{"mem", "256"}};
    c.labels = {{"scenario", scenario},
                {"kernel", "default"},
                {"transport", "nbd"},
                {"workload", "swap-hog"}};
    std::vector<reports::RunEntry> runs;
    for (size_t i = 0; i < dirs.size(); ++i) {
      int repeat = static_cast<int>(i) + 1;
      if (dirs[i].empty()) {
        runs.push_back(run::missing_run_entry(repeat, "runs/gone", "wedge run killed by SIGKILL"));
        continue;
      }
      auto rec = reports::read_run(root_ / "runs" / dirs[i]);
      EXPECT_TRUE(rec.ok()) << (rec.ok() ? "" : rec.error().message());
      runs.push_back(run::run_entry(*rec, repeat, "runs/" + dirs[i]));
    }
    return run::summarize_cell(c, runs);
  }

  CommandOutput run(const std::vector<std::string>& argv) {
    auto out = run_command(argv, 120s);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
    return out.ok() ? *out : CommandOutput{};
  }

  bool have(const std::string& tool) { return find_executable(tool).ok(); }

  std::optional<TempDir> tmp_;
  fs::path root_;
  reports::Summary summary_;
};

TEST_F(ReportWritersTest, ReadsRecordedRuns) {
  auto hang = reports::read_run(root_ / "runs/nbd-loopback-io-flusher-hang");
  ASSERT_TRUE(hang.ok());
  EXPECT_EQ(hang->report.verdict, reports::Verdict::kHang);
  ASSERT_EQ(hang->report.findings.size(), 1u);
  EXPECT_EQ(hang->report.findings[0].stacks.size(), 5u);
  EXPECT_EQ(hang->signatures[0], "hang: INFO: task hung in __alloc_pages_slowpath");
  EXPECT_EQ(summary_.cells[1].failures, 1);
  EXPECT_EQ(summary_.cells[1].counted, 1);
  EXPECT_EQ(summary_.cells[0].failures, 0);
  nlohmann::json with_signature = {
      {"kind", "hang"}, {"title", "x"}, {"signature", "hang: rq_qos_wait"}};
  EXPECT_EQ(reports::signature_of(with_signature), "hang: rq_qos_wait");
}

// image.boot_kernel (what the guest booted) is written and read back; the kernel the user asked
// for stays in image.kernel_source.
TEST_F(ReportWritersTest, BootKernelRoundTrips) {
  fs::path dir = root_ / "runs/nbd-swap-hog-pass";
  auto rec = reports::read_run(dir);
  ASSERT_TRUE(rec.ok());
  rec->report.boot_kernel = "vmlinux (PVH)";
  rec->report.kernel_source = "debian-amd64";
  const std::string text = reports::JsonWriter::render(rec->report);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["image"]["boot_kernel"], "vmlinux (PVH)");
  EXPECT_EQ(j["image"]["kernel_source"], "debian-amd64");
  ASSERT_TRUE(write_file_atomic(dir / "report.json", text).ok());
  auto back = reports::read_run(dir);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->report.boot_kernel, "vmlinux (PVH)");
  EXPECT_EQ(back->report.kernel_source, "debian-amd64");
}

// timings.domain_start_s (libvirt's share of the boot) and the CPU waits of the boot and of the
// domain start are written and read back; a report from before the fields reads as -1 (never
// measured), not 0, and an unknown wait is written as null.
TEST_F(ReportWritersTest, DomainStartRoundTripsAndIsAbsentInOldReports) {
  fs::path dir = root_ / "runs/nbd-swap-hog-pass";
  auto old = reports::read_run(dir);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->report.domain_start_s, -1);
  EXPECT_EQ(old->report.boot_cpu_wait_s, -1);
  EXPECT_EQ(old->report.domain_start_cpu_wait_s, -1);
  EXPECT_TRUE(
      nlohmann::json::parse(reports::JsonWriter::render(old->report))["timings"]["boot_cpu_wait_s"]
          .is_null());
  old->report.domain_start_s = 0.25;
  old->report.boot_cpu_wait_s = 1.5;
  old->report.domain_start_cpu_wait_s = 0.125;
  const std::string text = reports::JsonWriter::render(old->report);
  EXPECT_EQ(nlohmann::json::parse(text)["timings"]["domain_start_s"], 0.25);
  EXPECT_EQ(nlohmann::json::parse(text)["timings"]["boot_cpu_wait_s"], 1.5);
  ASSERT_TRUE(write_file_atomic(dir / "report.json", text).ok());
  auto back = reports::read_run(dir);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->report.domain_start_s, 0.25);
  EXPECT_EQ(back->report.boot_cpu_wait_s, 1.5);
  EXPECT_EQ(back->report.domain_start_cpu_wait_s, 0.125);
}

TEST_F(ReportWritersTest, JsonDocumentsValidateAgainstTheirSchemas) {
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  ASSERT_TRUE(reports::summary_writer(reports::SummaryFormat::kJson).write(summary_, root_).ok());
  // report.json as wedge writes it today, from each recorded run.
  std::vector<std::string> argv =
      test::schema_validation_argv((kSchemas / "report.schema.json").string());
  for (const char* name :
       {"nbd-swap-hog-pass", "nbd-loopback-io-flusher-hang", "iscsi-server-stall-pass"}) {
    auto rec = reports::read_run(root_ / "runs" / name);
    ASSERT_TRUE(rec.ok());
    rec->report.boot_kernel = "vmlinux (PVH)";
    fs::path out = root_ / (std::string(name) + ".json");
    ASSERT_TRUE(write_file_atomic(out, reports::JsonWriter::render(rec->report)).ok());
    argv.push_back(out.string());
  }
  auto reports_ok = run(argv);
  EXPECT_EQ(reports_ok.status.code, 0) << reports_ok.out << reports_ok.err;
  // samples.jsonl and progress.jsonl, every line of every recorded run (old ones included).
  for (const auto& [schema, file] : {std::pair{"samples.schema.json", "samples.jsonl"},
                                     std::pair{"progress.schema.json", "progress.jsonl"}}) {
    std::vector<std::string> lines = {kPython, "-c",
                                      "import json,sys,jsonschema\n"
                                      "schema=json.load(open(sys.argv[1]))\n"
                                      "jsonschema.Draft202012Validator.check_schema(schema)\n"
                                      "v=jsonschema.Draft202012Validator(schema)\n"
                                      "bad=0\n"
                                      "for f in sys.argv[2:]:\n"
                                      "  for line in open(f):\n"
                                      "    for e in v.iter_errors(json.loads(line)):\n"
                                      "      print(f, list(e.path), e.message); bad+=1\n"
                                      "sys.exit(1 if bad else 0)\n",
                                      (kSchemas / schema).string()};
    for (const auto& e : fs::directory_iterator(root_ / "runs")) {
      if (fs::exists(e.path() / file)) lines.push_back((e.path() / file).string());
    }
    EXPECT_GE(lines.size(), 4u) << file;
    auto lines_ok = run(lines);
    EXPECT_EQ(lines_ok.status.code, 0) << file << ": " << lines_ok.out << lines_ok.err;
  }
  argv.resize(3);
  argv.push_back((kSchemas / "summary.schema.json").string());
  argv.push_back((root_ / "summary.json").string());
  auto summary_ok = run(argv);
  EXPECT_EQ(summary_ok.status.code, 0) << summary_ok.out << summary_ok.err;
  // And the schema rejects a summary missing its version.
  auto j = reports::summary_json(summary_);
  j.erase("schema_version");
  ASSERT_TRUE(write_file_atomic(root_ / "bad.json", j.dump()).ok());
  argv.back() = (root_ / "bad.json").string();
  EXPECT_EQ(run(argv).status.code, 1);
}

TEST_F(ReportWritersTest, JunitValidatesAndReadsBack) {
  ASSERT_TRUE(reports::summary_writer(reports::SummaryFormat::kJunit).write(summary_, root_).ok());
  auto xml = read_file(root_ / "junit.xml");
  ASSERT_TRUE(xml.ok());
  EXPECT_NE(xml->find("<failure message=\"INFO: task hung in __alloc_pages_slowpath"),
            std::string::npos);
  EXPECT_NE(xml->find("type=\"hang\""), std::string::npos);
  EXPECT_NE(xml->find("  mempool_alloc\n"), std::string::npos);  // the top stack
  if (!have("xmllint")) GTEST_SKIP() << "no xmllint";
  auto lint = run({"xmllint", "--noout", "--schema", (kSchemas / "junit.xsd").string(),
                   (root_ / "junit.xml").string()});
  EXPECT_EQ(lint.status.code, 0) << lint.err;
  if (!fs::exists(kPython)) GTEST_SKIP() << "no " << kPython;
  auto parsed = run({kPython, "-c",
                     "import sys\nfrom junitparser import JUnitXml, Failure, Error\n"
                     "x=JUnitXml.fromfile(sys.argv[1])\n"
                     "for s in x:\n"
                     "  for c in s:\n"
                     "    r=[(type(p).__name__,p.type,p.message) for p in c.result]\n"
                     "    print(s.name, s.tests, s.failures, s.errors, c.name, c.time, r)\n",
                     (root_ / "junit.xml").string()});
  ASSERT_EQ(parsed.status.code, 0) << parsed.err;
  EXPECT_NE(parsed.out.find("nbd-swap-hog.mem-256 2 0 0 nbd-swap-hog.mem-256 r1 80.182 []"),
            std::string::npos)
      << parsed.out;
  EXPECT_NE(
      parsed.out.find("nbd-loopback-io-flusher.mem-256 2 1 1 nbd-loopback-io-flusher.mem-256 "
                      "r1 65.754 [('Failure', 'hang', 'INFO: task hung in __alloc_pages_slowpath"),
      std::string::npos)
      << parsed.out;
  EXPECT_NE(parsed.out.find("[('Error', 'infra_error', 'wedge run killed by SIGKILL')]"),
            std::string::npos)
      << parsed.out;
}

TEST_F(ReportWritersTest, PrometheusExpositionPassesPromtool) {
  summary_.cells[0].labels[1].second = "/k/\"odd\"\\name\n";  // a kernel label needing escapes
  std::string text = reports::render_metrics(summary_, root_);
  EXPECT_NE(text.find("kernel=\"/k/\\\"odd\\\"\\\\name\\n\""), std::string::npos);
  EXPECT_NE(
      text.find("wedge_runs{scenario=\"nbd-loopback-io-flusher\",transport=\"nbd\","
                "workload=\"swap-hog\",kernel=\"default\",cell=\"nbd-loopback-io-flusher.mem-256\","
                "verdict=\"hang\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("wedge_failure_rate{scenario=\"nbd-loopback-io-flusher\""),
            std::string::npos);
  // flush1: detected 60.356 - onset 40.353 = 20.003 s.
  std::smatch m;
  std::regex latency("wedge_detection_latency_seconds\\{[^}]*io-flusher[^}]*\\} ([0-9.]+)");
  ASSERT_TRUE(std::regex_search(text, m, latency)) << text;
  EXPECT_NEAR(std::stod(m[1]), 20.0027, 1e-3);
  EXPECT_EQ(reports::escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  ASSERT_TRUE(
      reports::summary_writer(reports::SummaryFormat::kPrometheus).write(summary_, root_).ok());
  if (!have("promtool") || !fs::exists(kPython)) GTEST_SKIP() << "no promtool";
  auto check = run({kPython, "-c",
                    "import subprocess,sys\n"
                    "p=subprocess.run(['promtool','check','metrics'],stdin=open(sys.argv[1]),"
                    "capture_output=True,text=True)\n"
                    "print(p.stdout+p.stderr); sys.exit(p.returncode)\n",
                    (root_ / "metrics.prom").string()});
  EXPECT_EQ(check.status.code, 0) << check.out;
  EXPECT_EQ(check.out.find("error"), std::string::npos) << check.out;
}

TEST_F(ReportWritersTest, RunPageHasPlotsTimelineFindingAndArtifacts) {
  fs::path dir = root_ / "runs/nbd-loopback-io-flusher-hang";
  auto rec = reports::read_run(dir);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(reports::write_derived_run_reports(rec->report, dir).ok());
  auto page = read_file(dir / "report.html");
  ASSERT_TRUE(page.ok());
  EXPECT_NE(page->find("<div class=\"banner fail\" id=\"verdict\">hang: INFO: task hung in"),
            std::string::npos);
  EXPECT_NE(page->find("data-series=\"MemFree\" data-points=\"53\""), std::string::npos);
  EXPECT_NE(page->find("data-series=\"PSI io some avg10\" data-points=\"53\""), std::string::npos);
  EXPECT_NE(page->find("<line class=\"detect\" data-kind=\"hang\""), std::string::npos);
  EXPECT_NE(page->find("1 task(s) in state D: kswapd0:36"), std::string::npos);
  EXPECT_NE(page->find("<a href=\"traces/0/summary.json\">"), std::string::npos);
  EXPECT_NE(page->find("console excerpt"), std::string::npos);
  EXPECT_EQ(page->find("<script"), std::string::npos);
  EXPECT_EQ(page->find("src=\"http"), std::string::npos);
  EXPECT_EQ(page->find("href=\"http"), std::string::npos);

  // A faulted run marks the fault on the timeline and on the plots.
  fs::path stall = root_ / "runs/iscsi-server-stall-pass";
  auto srec = reports::read_run(stall);
  ASSERT_TRUE(srec.ok());
  ASSERT_TRUE(reports::write_derived_run_reports(srec->report, stall).ok());
  auto spage = read_file(stall / "report.html");
  EXPECT_NE(spage->find("<rect class=\"fault\" data-kind=\"server-stall\""), std::string::npos);
  // Runs recorded before the cgroup, device and progress files were sampled say so.
  EXPECT_NE(page->find("Not sampled in this run: the workload cgroup"), std::string::npos);
}

// A real cgroup run on nbd0 (tests/testdata/runs/nbd-cgroup-swap-pass: 23 samples, the last 21
// after the host set up the watch; 20 progress records, 19 after the hog's first report): the
// cgroup, the device, the workload's progress and the server's bytes are plotted, and nothing
// is "not sampled".
TEST_F(ReportWritersTest, RunPagePlotsCgroupDeviceProgressAndServer) {
  fs::path dir = root_ / "runs/nbd-cgroup-swap-pass";
  auto rec = reports::read_run(dir);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(reports::write_derived_run_reports(rec->report, dir).ok());
  auto page = read_file(dir / "report.html");
  ASSERT_TRUE(page.ok());
  for (const char* series :
       {"cgroup memory.current", "cgroup memory.swap.current", "cgroup memory.events low",
        "cgroup memory.events high", "cgroup memory.events max", "cgroup memory.events oom",
        "cgroup memory.events oom_kill", "Device reads in flight (nbd0)",
        "Device writes in flight (nbd0)", "Device written (nbd0)", "Device read (nbd0)"}) {
    EXPECT_NE(page->find(fmt::format("data-series=\"{}\" data-points=\"21\"", series)),
              std::string::npos)
        << series;
  }
  EXPECT_NE(page->find("data-series=\"Workload progress\" data-points=\"19\""), std::string::npos);
  for (const char* series :
       {"Bytes through the server from the guest", "Bytes through the server to the guest"}) {
    EXPECT_NE(page->find(fmt::format("data-series=\"{}\" data-points=\"20\"", series)),
              std::string::npos)
        << series;
  }
  EXPECT_NE(page->find("Workload progress (MiB)"), std::string::npos);
  EXPECT_EQ(page->find("Not sampled"), std::string::npos);
  EXPECT_EQ(page->find("<script"), std::string::npos);
}

TEST_F(ReportWritersTest, MatrixPageGridsCellsWithRatesAndLinks) {
  summary_.baseline = "old/summary.json";
  summary_.new_findings = run::new_findings(summary_, reports::Summary{});
  ASSERT_TRUE(reports::write_summary_reports(summary_, root_).ok());
  auto page = read_file(root_ / "report.html");
  ASSERT_TRUE(page.ok());
  EXPECT_NE(
      page->find(
          "<td class=\"pass\" data-cell=\"nbd-swap-hog.mem-256\">0/2 failed (0%, 95% CI 0–66%)"),
      std::string::npos)
      << *page;
  EXPECT_NE(page->find("<td class=\"fail\" data-cell=\"nbd-loopback-io-flusher.mem-256\">1/1 "
                       "failed (100%, 95% CI 21–100%)"),
            std::string::npos);
  EXPECT_NE(page->find("<a href=\"runs/nbd-loopback-io-flusher-hang/report.html\""),
            std::string::npos);
  // One entry per signature: the two recorded hangs have different causes.
  size_t new_findings = page->find("<ul id=\"new-findings\">");
  ASSERT_NE(new_findings, std::string::npos);
  EXPECT_NE(page->find("<li>hang: INFO: task hung in __alloc_pages_slowpath</li>", new_findings),
            std::string::npos);
  EXPECT_NE(page->find("<li>hang: iscsi: server not answering requests</li>", new_findings),
            std::string::npos);
  for (const char* f : {"summary.json", "junit.xml", "metrics.prom"}) {
    EXPECT_TRUE(fs::exists(root_ / f)) << f;
  }
}

// Loads the pages from disk in a real headless Chromium and checks the rendered DOM.
TEST_F(ReportWritersTest, ChromiumRendersPlotsAndTheFinding) {
  if (!have("chromium")) GTEST_SKIP() << "no chromium";
  fs::path dir = root_ / "runs/nbd-loopback-io-flusher-hang";
  auto rec = reports::read_run(dir);
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(reports::write_derived_run_reports(rec->report, dir).ok());
  std::vector<std::string> base = {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                   "--user-data-dir=" + (root_ / "chromium").string()};
  auto argv = base;
  argv.insert(argv.end(), {"--dump-dom", "file://" + (dir / "report.html").string()});
  auto dom = run(argv);
  ASSERT_EQ(dom.status.code, 0) << dom.err;
  std::regex polyline("<polyline points=\"([^\"]*)\"");
  int plots = 0;
  for (std::sregex_iterator it(dom.out.begin(), dom.out.end(), polyline), end; it != end; ++it) {
    std::string pts = (*it)[1];
    EXPECT_GE(std::count(pts.begin(), pts.end(), ','), 50) << "a plot with few points";
    ++plots;
  }
  EXPECT_EQ(plots, 6);  // MemFree, Dirty, Writeback, swap, PSI memory, PSI io
  EXPECT_NE(dom.out.find("class=\"finding\" data-kind=\"hang\""), std::string::npos);
  EXPECT_NE(dom.out.find("bio_alloc_bioset"), std::string::npos);

  // The cgroup run: 6 + 7 cgroup + 4 device + progress + 2 server plots, each with every
  // record that has the measure as a point (19 to 23).
  fs::path cg = root_ / "runs/nbd-cgroup-swap-pass";
  auto cg_rec = reports::read_run(cg);
  ASSERT_TRUE(cg_rec.ok());
  ASSERT_TRUE(reports::write_derived_run_reports(cg_rec->report, cg).ok());
  argv = base;
  argv.insert(argv.end(), {"--dump-dom", "file://" + (cg / "report.html").string()});
  auto cg_dom = run(argv);
  ASSERT_EQ(cg_dom.status.code, 0) << cg_dom.err;
  int cg_plots = 0;
  for (std::sregex_iterator it(cg_dom.out.begin(), cg_dom.out.end(), polyline), end; it != end;
       ++it) {
    std::string pts = (*it)[1];
    EXPECT_GE(std::count(pts.begin(), pts.end(), ','), 19) << "a plot with few points";
    ++cg_plots;
  }
  EXPECT_EQ(cg_plots, 20);
  argv = base;
  fs::path png = root_ / "run.png";
  argv.insert(argv.end(), {"--window-size=1280,2400", "--screenshot=" + png.string(),
                           "file://" + (dir / "report.html").string()});
  auto shot = run(argv);
  ASSERT_EQ(shot.status.code, 0) << shot.err;
  EXPECT_GT(fs::file_size(png), 20000u);
  if (const char* keep = std::getenv("WEDGE_KEEP_SCREENSHOTS")) {
    fs::copy_file(png, fs::path(keep) / "run.png", fs::copy_options::overwrite_existing);
    ASSERT_TRUE(reports::write_summary_reports(summary_, root_).ok());
    argv = base;
    argv.insert(argv.end(), {"--window-size=1280,900",
                             "--screenshot=" + (fs::path(keep) / "matrix.png").string(),
                             "file://" + (root_ / "report.html").string()});
    EXPECT_EQ(run(argv).status.code, 0);
  }
}

}  // namespace
}  // namespace wedge
