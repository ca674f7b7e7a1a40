// End to end: `wedge matrix` with 2 scenarios x 2 repeats at parallel 2 on real guests, its
// reports, a real prometheus-pushgateway on loopback reading back the pushed values, the same
// matrix as 2 shards merged, `wedge compare` of a kernel with itself saying "no change" and of
// a scenario without and with a fault that makes it fail saying "regressed", and `wedge run
// --pushgateway`.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/net.h"
#include "harness/util/process.h"
#include "tests/schema_validation.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// Cheap cells whose verdict is certain: a 48 MiB hog that fits in a 256 MiB guest, with swap
// on NBD. This test is about the matrix (parallel runs, shards, merge, metrics); swapping under
// pressure can wedge the stock kernel now and then (a finding, see run_helpers.h), which would
// make the expected "pass" a matter of luck.
constexpr const char* kHog = R"(name = "{name}"
[guest]
memory_mib = 256
[storage]
transport = "nbd"
server = "{server}"
size_mib = 256
[workload]
kind = "swap-hog"
size_mib = 48
[limits]
duration_s = 240
)";

// A raw 16 MiB NBD device (nbdkit) that busybox dd reads with O_DIRECT in 4 KiB blocks: 4096
// round trips to the host server, about 7 s under TCG, so nothing comes from the page cache.
// The [[fault]] turns on nbdkit's error filter with error_rate 1 as the workload starts and
// keeps it on to the end: every request after that is EIO, so dd fails on its next read and
// the kernel logs the I/O error (a finding) every time; dd cannot finish first, it needs ~7 s.
// Without the fault dd reads the whole device: a pass. Measured with `wedge run --repeat 4`,
// twice each: without the fault 4/4 pass, with it 4/4 io_error.
constexpr const char* kDirectRead = R"(name = "dd-direct"
[guest]
memory_mib = 256
[storage]
transport = "nbd"
server = "nbdkit"
size_mib = 16
use = "device"
[workload]
kind = "command"
argv = ["/bin/busybox", "dd", "if=/dev/nbd0", "of=/dev/null", "bs=4096", "count=4096", "iflag=direct"]
[[fault]]
kind = "error"
at_s = 0
duration_s = 0
error_rate = 1
[limits]
duration_s = 120
recover = false
)";

// Checks the documents at files against the JSON Schema reports/schema/NAME with Debian's
// python3-jsonschema; returns what it printed (empty when every document is valid).
std::string schema_errors(const std::string& name, const std::vector<std::string>& files) {
  std::vector<std::string> argv =
      test::schema_validation_argv((fs::path(WEDGE_SCHEMA_DIR) / name).string());
  argv.insert(argv.end(), files.begin(), files.end());
  auto out = run_command(argv, 60s);
  if (!out.ok()) return out.error().message();
  if (out->status.code != 0)
    return "exit " + std::to_string(out->status.code) + ": " + out->out + out->err;
  return "";
}

class MatrixE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-mx", "/var/tmp");
    ASSERT_TRUE(dir.ok());
    tmp_.emplace(std::move(*dir));
    // Reachable by the unprivileged QEMU and storage users, as a run folder must be.
    fs::permissions(tmp_->path(), fs::perms(0755));
    for (auto [name, server] : {std::pair{"hog-a", "nbd-server"}, std::pair{"hog-b", "nbdkit"}}) {
      std::string text =
          std::regex_replace(std::regex_replace(kHog, std::regex("\\{name\\}"), name),
                             std::regex("\\{server\\}"), server);
      ASSERT_TRUE(write_file_atomic(tmp_->path() / (std::string(name) + ".toml"), text).ok());
    }
    ASSERT_TRUE(write_file_atomic(tmp_->path() / "m.toml",
                                  "name = \"e2e\"\nscenarios = [\"hog-a.toml\", \"hog-b.toml\"]\n"
                                  "repeat = 2\n")
                    .ok());
  }

  CommandOutput wedge(std::vector<std::string> args) {
    args.insert(args.begin(), WEDGE_BINARY);
    args.insert(args.end(), {"--accel", "tcg", "--cache", WEDGE_TEST_CACHE_DIR});
    auto out = run_command(args, 40min);
    EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message());
    return out.ok() ? *out : CommandOutput{};
  }

  json summary(const fs::path& root) {
    auto text = read_file(root / "summary.json");
    EXPECT_TRUE(text.ok());
    return text.ok() ? json::parse(*text) : json();
  }

  // A real prometheus-pushgateway on a free loopback port; returns its address.
  std::string start_pushgateway() {
    auto port = pick_free_loopback_port();
    EXPECT_TRUE(port.ok());
    if (!port.ok()) return "";
    std::string listen = "127.0.0.1:" + std::to_string(*port);
    auto gateway = ChildProcess::spawn({"prometheus-pushgateway", "--web.listen-address=" + listen},
                                       {.stdout_path = tmp_->path() / "pushgateway.log",
                                        .stderr_path = {},
                                        .working_dir = tmp_->path()});
    EXPECT_TRUE(gateway.ok()) << gateway.error().message();
    if (!gateway.ok()) return "";
    gateway_.emplace(std::move(*gateway));
    for (int i = 0; i < 50 && !connect_loopback(*port, 100ms).ok(); ++i)
      std::this_thread::sleep_for(100ms);
    return listen;
  }

  // The wedge_runs series the gateway at listen serves: each one's label text and value.
  std::vector<std::pair<std::string, double>> pushed_runs(const std::string& listen) {
    std::vector<std::pair<std::string, double>> series;
    auto pushed = run_command({"curl", "-sS", "http://" + listen + "/metrics"}, 10s);
    EXPECT_TRUE(pushed.ok());
    if (!pushed.ok()) return series;
    std::regex line("wedge_runs\\{([^}]*)\\} ([0-9.e+]+)");
    for (std::sregex_iterator it(pushed->out.begin(), pushed->out.end(), line), end; it != end;
         ++it) {
      series.emplace_back((*it)[1], std::stod((*it)[2]));
    }
    return series;
  }

  std::optional<TempDir> tmp_;
  std::optional<ChildProcess> gateway_;
};

TEST_F(MatrixE2eTest, TwoScenariosTwoRepeatsParallelTwoPushedToAPushgateway) {
  std::string listen = start_pushgateway();
  ASSERT_FALSE(listen.empty());

  fs::path out = tmp_->path() / "all";
  auto t0 = std::chrono::steady_clock::now();
  auto res = wedge({"matrix", (tmp_->path() / "m.toml").string(), "--out", out.string(),
                    "--parallel", "2", "--pushgateway", "http://" + listen});
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("matrix 2x2 at parallel 2: %.0f s wall\n", wall);
  EXPECT_EQ(res.status.code, 0) << res.out << res.err;
  json s = summary(out);
  ASSERT_EQ(s["cells"].size(), 2u);
  double run_sum = 0;
  for (const auto& c : s["cells"]) {
    EXPECT_EQ(c["runs"].size(), 2u);
    EXPECT_EQ(c["counted"], 2);
    EXPECT_EQ(c["failures"], 0);
    for (const auto& r : c["runs"]) {
      EXPECT_EQ(r["verdict"], "pass") << r.dump();
      EXPECT_TRUE(fs::exists(out / r["dir"].get<std::string>() / "report.html"));
      run_sum += r["run_s"].get<double>();
    }
  }
  std::printf("sum of run times %.0f s: parallel speed-up %.2f\n", run_sum, run_sum / wall);
  for (const char* f : {"report.html", "junit.xml", "metrics.prom", "findings.json"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  int matched = 0;
  for (const auto& [labels, value] : pushed_runs(listen)) {
    EXPECT_NE(labels.find("job=\"wedge\""), std::string::npos);
    EXPECT_NE(labels.find("matrix=\"e2e\""), std::string::npos);
    EXPECT_NE(labels.find("verdict=\"pass\""), std::string::npos);
    EXPECT_EQ(value, 2);
    ++matched;
  }
  EXPECT_EQ(matched, 2);
  gateway_->stop();

  // The same matrix as two shards, merged, has the same cells and verdicts.
  fs::path s1 = tmp_->path() / "s1", s2 = tmp_->path() / "s2", merged = tmp_->path() / "merged";
  EXPECT_EQ(wedge({"matrix", (tmp_->path() / "m.toml").string(), "--out", s1.string(), "--shard",
                   "1/2", "--parallel", "2"})
                .status.code,
            0);
  EXPECT_EQ(wedge({"matrix", (tmp_->path() / "m.toml").string(), "--out", s2.string(), "--shard",
                   "2/2", "--parallel", "2"})
                .status.code,
            0);
  auto m =
      run_command({WEDGE_BINARY, "merge", s1.string(), s2.string(), "--out", merged.string()}, 60s);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status.code, 0) << m->out << m->err;
  json ms = summary(merged);
  ASSERT_EQ(ms["cells"].size(), s["cells"].size());
  for (size_t i = 0; i < ms["cells"].size(); ++i) {
    EXPECT_EQ(ms["cells"][i]["id"], s["cells"][i]["id"]);
    EXPECT_EQ(ms["cells"][i]["verdicts"], s["cells"][i]["verdicts"]);
    for (const auto& r : ms["cells"][i]["runs"]) {
      EXPECT_TRUE(fs::exists(merged / r["dir"].get<std::string>() / "report.json"));
    }
  }
}

// The stock kernel against itself: no change (both sides 0/2, p = 1).
TEST_F(MatrixE2eTest, CompareOfAKernelWithItselfSaysNoChange) {
  ASSERT_TRUE(write_file_atomic(tmp_->path() / "one.toml",
                                "name = \"cmp\"\nscenarios = [\"hog-a.toml\"]\nrepeat = 2\n")
                  .ok());
  auto same =
      wedge({"compare", (tmp_->path() / "one.toml").string(), "--base", "default", "--candidate",
             "default", "--out", (tmp_->path() / "cmp").string(), "--parallel", "2"});
  EXPECT_EQ(same.status.code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("no change"), std::string::npos) << same.out;
  auto c = read_file(tmp_->path() / "cmp/compare.json");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(json::parse(*c)["cells"][0]["change"], "no change");
}

// The direct-read scenario compared without its fault (--base-set fault=none) and with it, 4
// runs a side: every base run passes, every candidate run fails with EIO, and 0/4 vs 4/4 is
// Fisher's p = 2/70 = 0.0286 < 0.05: regressed, exit 1.
TEST_F(MatrixE2eTest, CompareOfAScenarioWithoutAndWithAnErrorFaultSaysRegressed) {
  fs::path scenario = tmp_->path() / "direct.toml";
  ASSERT_TRUE(write_file_atomic(scenario, kDirectRead).ok());
  fs::path out = tmp_->path() / "cmp-fault";
  auto t0 = std::chrono::steady_clock::now();
  auto res = wedge({"compare", scenario.string(), "--base-set", "fault=none", "--repeat", "4",
                    "--out", out.string(), "--parallel", "2"});
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("compare 1 cell x 4 repeats x 2 sides at parallel 2: %.0f s wall\n%s", wall,
              res.out.c_str());
  EXPECT_EQ(res.status.code, 1) << res.out << res.err;
  EXPECT_NE(res.out.find("base:      fault=none\n"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("candidate: as the matrix has it\n"), std::string::npos) << res.out;
  EXPECT_NE(res.out.find("differs:   fault: none -> as the matrix has it\n"), std::string::npos);
  EXPECT_NE(res.out.find("0/4       4/4   0.0286  regressed"), std::string::npos) << res.out;

  auto text = read_file(out / "compare.json");
  ASSERT_TRUE(text.ok());
  json c = json::parse(*text);
  EXPECT_EQ(c["schema_version"], 2);
  EXPECT_EQ(c["kind"], "compare");
  EXPECT_EQ(c["base"]["settings"], json({{"fault", "none"}}));
  EXPECT_EQ(c["candidate"]["settings"], json::object());
  EXPECT_EQ(c["differs"], json::array({"fault"}));
  EXPECT_EQ(c["regressed"], true);
  ASSERT_EQ(c["cells"].size(), 1u);
  const json& cell = c["cells"][0];
  EXPECT_EQ(cell["cell"], "dd-direct.fault-none");
  EXPECT_EQ(cell["candidate"]["cell"], "dd-direct");
  EXPECT_EQ(cell["base"], json({{"failures", 0}, {"runs", 4}}));
  EXPECT_EQ(cell["candidate"]["failures"], 4);
  EXPECT_EQ(cell["candidate"]["runs"], 4);
  EXPECT_NEAR(cell["p_value"].get<double>(), 2.0 / 70, 1e-9);
  EXPECT_EQ(cell["change"], "regressed");
  auto html = read_file(out / "compare.html");
  ASSERT_TRUE(html.ok());
  EXPECT_NE(html->find("base: <b>fault=none</b>"), std::string::npos) << *html;
  EXPECT_NE(html->find("differs: fault: none -&gt; as the matrix has it"), std::string::npos)
      << *html;
  EXPECT_NE(html->find("<td class=\"fail\">regressed</td>"), std::string::npos) << *html;
  EXPECT_NE(html->find("0.0286"), std::string::npos);

  // What the guests really did: on the base side dd read all 16 MiB through nbdkit; on the
  // candidate side nbdkit's error filter failed its reads and the kernel said so.
  std::vector<std::string> reports;
  for (const char* side : {"base", "candidate"}) {
    json s = summary(out / side);
    ASSERT_EQ(s["cells"].size(), 1u);
    ASSERT_EQ(s["cells"][0]["runs"].size(), 4u);
    for (const auto& r : s["cells"][0]["runs"]) {
      fs::path dir = out / side / r["dir"].get<std::string>();
      reports.push_back((dir / "report.json").string());
      auto report_text = read_file(dir / "report.json");
      ASSERT_TRUE(report_text.ok());
      json report = json::parse(*report_text);
      auto workload_log = read_file(dir / "workload.log");
      ASSERT_TRUE(workload_log.ok());
      std::printf("%s run: %s, run %.1f s\n", side, report["verdict"].get<std::string>().c_str(),
                  report["timings"]["run_s"].get<double>());
      if (std::string(side) == "base") {
        EXPECT_EQ(report["verdict"], "pass") << report.dump();
        EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
        EXPECT_TRUE(report["faults"].empty());
        EXPECT_NE(workload_log->find("4096+0 records in"), std::string::npos) << *workload_log;
        EXPECT_GE(report["server"]["bytes_read"].get<uint64_t>(), 16ull << 20);
      } else {
        EXPECT_EQ(report["verdict"], "io_error") << report.dump();
        ASSERT_EQ(report["faults"].size(), 1u);
        EXPECT_EQ(report["faults"][0]["kind"], "error");
        ASSERT_FALSE(report["findings"].empty());
        EXPECT_EQ(report["findings"][0]["kind"], "io_error");
        EXPECT_EQ(report["findings"][0]["title"], "I/O error on nbd0");
        EXPECT_EQ(report["guest"]["workload_exit_code"], 1);
        EXPECT_NE(workload_log->find("dd: /dev/nbd0: Input/output error"), std::string::npos)
            << *workload_log;
        EXPECT_LT(report["server"]["bytes_read"].get<uint64_t>(), 16ull << 20);
      }
    }
  }
  // Every document the two sides wrote is valid against its schema.
  EXPECT_EQ(schema_errors("summary.schema.json", {(out / "base" / "summary.json").string(),
                                                  (out / "candidate" / "summary.json").string()}),
            "");
  EXPECT_EQ(schema_errors("report.schema.json", reports), "");
}

// Settings a matrix cannot take are usage errors naming the option, before any guest boots.
TEST_F(MatrixE2eTest, CompareRejectsBadSettingsNamingTheOption) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  std::vector<Case> cases{
      {{"--candidate-set", "colour=red"}, "--candidate-set colour=red: unknown key colour"},
      {{"--base-set", "fault=kill"}, "--base-set fault=kill: no fault set kill in"},
      {{"--candidate-set", "memory_mib=lots"}, "--candidate-set memory_mib=lots: memory_mib must"},
      {{"--base", "default", "--base-set", "kernel=default"},
       "--base default and --base-set kernel=default both set the kernel"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv{WEDGE_BINARY, "compare", (tmp_->path() / "hog-a.toml").string(),
                                  "--out", (tmp_->path() / "never").string()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto out = run_command(argv, 30s);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->status.code, 2) << out->err;
    EXPECT_NE(out->err.find("wedge compare: " + c.message), std::string::npos) << out->err;
  }
  EXPECT_FALSE(fs::exists(tmp_->path() / "never" / "base"));
}

// `wedge run --pushgateway`: the run's metrics.prom in its dir, and the gateway serving the
// same run count back.
TEST_F(MatrixE2eTest, RunPushesItsMetricsToAPushgateway) {
  std::string listen = start_pushgateway();
  ASSERT_FALSE(listen.empty());
  fs::path dir = tmp_->path() / "one-run";
  auto res = wedge({"run", (tmp_->path() / "hog-a.toml").string(), "--out", dir.string(),
                    "--pushgateway", "http://" + listen});
  EXPECT_EQ(res.status.code, 0) << res.out << res.err;
  auto prom = read_file(dir / "metrics.prom");
  ASSERT_TRUE(prom.ok());
  EXPECT_NE(prom->find("wedge_runs{scenario=\"hog-a\""), std::string::npos) << *prom;
  int matched = 0;
  for (const auto& [labels, value] : pushed_runs(listen)) {
    // The gateway may also hold other groups; this run's is matrix=<scenario>.
    if (labels.find("matrix=\"hog-a\"") == std::string::npos) continue;
    EXPECT_NE(labels.find("job=\"wedge\""), std::string::npos);
    EXPECT_NE(labels.find("verdict=\"pass\""), std::string::npos);
    EXPECT_EQ(value, 1);
    ++matched;
  }
  EXPECT_EQ(matched, 1);
}

}  // namespace
}  // namespace wedge
