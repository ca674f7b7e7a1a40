// The loaded-host recipe of issue 17: two `wedge run nbd-swap-hog` in the background and
// `stress-ng --cpu 2 --io 1` on the host, then a module whose kthread takes one mutex twice.
// The kernel hung, so the verdict is a hang (or, if the host starved the guest, an infra error
// with the evidence), never `timeout` or `pass`, and never exit 0. Needs the host alone
// (ctest RESOURCE_LOCK host): it makes the load itself.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/integration/run_helpers.h"

namespace wedge::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class LoadedHostTest : public TempDirTest {};

TEST_F(LoadedHostTest, ModuleSelfDeadlockUnderLoadIsNeverATimeout) {
  ASSERT_TRUE(fs::is_regular_file(WEDGE_CRASH_KO))
      << WEDGE_CRASH_KO << " missing: build the wedge_crash_module target";
  fs::copy_file(WEDGE_CRASH_KO, dir() / "wedge_crash.ko");

  // The load: two guests swapping over NBD and a CPU and I/O hog on the host's 2 cores.
  std::vector<ChildProcess> load;
  for (const char* name : {"bg1", "bg2"}) {
    load.push_back(start_wedge({"run", "nbd-swap-hog", "--out", (dir() / name).string(), "-q"},
                               dir() / (std::string(name) + ".log")));
  }
  SpawnOptions quiet;
  quiet.stdout_path = dir() / "stress-ng.log";
  auto stress =
      ChildProcess::spawn({"stress-ng", "--cpu", "2", "--io", "1", "--timeout", "600"}, quiet);
  ASSERT_TRUE(stress.ok()) << stress.error().message();
  std::this_thread::sleep_for(20s);  // the background guests boot and start swapping

  fs::path scenario = write_scenario("module-mutex-twice", R"(
name = "module-mutex-twice"
[guest]
vcpus = 2
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko mutex_twice=1 && sleep 45"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 150
)");
  fs::path out = dir() / "module";
  auto started = std::chrono::steady_clock::now();
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 600s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stress->stop();
  for (auto& child : load) child.stop(30s);

  nlohmann::json report = load_json(out / "report.json");
  const std::string verdict = report.value("verdict", "");
  std::cout << "loaded host: verdict " << verdict << ", exit " << r.status.code << ", reason '"
            << report.value("reason", "") << "', " << took << " s\n";
  EXPECT_NE(r.status.code, 0) << r.out << r.err;
  EXPECT_NE(verdict, "timeout") << report.dump(2);
  EXPECT_NE(verdict, "pass") << report.dump(2);
  EXPECT_TRUE(verdict == "hang" || verdict == "infra_error") << report.dump(2);
  if (verdict == "hang") {
    EXPECT_EQ(r.status.code, 1);
  } else if (verdict == "infra_error") {
    EXPECT_EQ(r.status.code, 125);
    // The host's failure says what it saw (QEMU's CPU time, the guest clock).
    EXPECT_NE(report.value("infra_error", "").find("the host stopped running the guest"),
              std::string::npos)
        << report.dump(2);
  }
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find("wedge_crash: mutex-twice"), std::string::npos)
      << "the module's kthread never ran";
  expect_nothing_leaked(out);
}

}  // namespace
}  // namespace wedge::test
