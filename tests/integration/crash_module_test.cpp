// End-to-end tests of wedge's detection on real kernel failures: the wedge_crash.ko test module
// (workloads/kmod) oopses, BUGs, warns, locks up or hangs a real guest; report.json must say so.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// One way to make the guest kernel fail, and what wedge must report for it.
struct Mode {
  std::string word;     // written to /proc/wedge_crash
  std::string cmdline;  // extra guest kernel arguments
  std::string verdict;
  std::string finding_kind;
  std::string title;  // the finding's exact title; a prefix when title_is_prefix
  bool title_is_prefix = false;
  std::string console_mentions;  // a line the module prints before it fails
};

class CrashModuleTest : public ::testing::Test {
 public:
  void SetUp() override {
    ASSERT_TRUE(fs::is_regular_file(WEDGE_CRASH_KO))
        << WEDGE_CRASH_KO << " missing: build the wedge_crash_module target";
    auto d = TempDir::create("wedge-crash-module-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    fs::copy_file(WEDGE_CRASH_KO, dir() / "wedge_crash.ko");
  }
  fs::path dir() const { return dir_->path(); }

  // Runs `mode` in a fresh guest and checks verdict, finding, exit code, time and teardown.
  void run_mode(const Mode& mode) {
    fs::path scenario = dir() / (mode.word + ".toml");
    ASSERT_TRUE(write_file_atomic(scenario, fmt::format(R"(
name = "wedge-crash-{0}"
[guest]
cmdline = "{1}"
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko && echo {0} > /proc/wedge_crash"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 60
)",
                                                        mode.word, mode.cmdline))
                    .ok());
    fs::path out = dir() / mode.word;
    auto started = std::chrono::steady_clock::now();
    auto r =
        run_command({WEDGE_BINARY, "run", scenario.string(), "--out", out.string(), "-q"}, 120s);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ASSERT_TRUE(r.ok()) << r.error().message();
    auto text = read_file(out / "report.json");
    ASSERT_TRUE(text.ok()) << "no report.json: " << r->out << r->err;
    json report = json::parse(*text);

    EXPECT_EQ(r->status.code, 1) << r->out << r->err;
    EXPECT_EQ(report["exit_code"], 1);
    EXPECT_EQ(report["verdict"], mode.verdict) << report["findings"].dump(2);
    bool found = false;
    for (const auto& f : report["findings"]) {
      std::string title = f["title"];
      bool title_ok = mode.title_is_prefix ? title.rfind(mode.title, 0) == 0 : title == mode.title;
      found |= f["kind"] == mode.finding_kind && title_ok;
    }
    EXPECT_TRUE(found) << "no " << mode.finding_kind << " finding titled '" << mode.title << "' in "
                       << report["findings"].dump(2);
    EXPECT_LT(took, 60) << "the run took " << took << " s";

    auto console = read_file(out / "console.log");
    ASSERT_TRUE(console.ok());
    EXPECT_NE(console->find(mode.console_mentions), std::string::npos)
        << "the module never ran: " << mode.console_mentions;

    // The guest is gone: no domain of this run is left behind.
    std::string domain = "wedge-" + report["run_id"].get<std::string>();
    auto backend = vm::LibvirtBackend::connect();
    ASSERT_TRUE(backend.ok()) << backend.error().message();
    auto domains = (*backend)->list_wedge_domains();
    ASSERT_TRUE(domains.ok());
    EXPECT_EQ(std::count(domains->begin(), domains->end(), domain), 0)
        << "domain " << domain << " outlived its run";
  }

  std::unique_ptr<TempDir> dir_;
};

// A NULL dereference: the oops blames the function that dereferenced.
TEST_F(CrashModuleTest, OopsIsCrashBlamingTheFaultingFunction) {
  run_mode({"oops", "", "crash", "crash",
            "BUG: kernel NULL pointer dereference in wedge_crash_oops", false,
            "wedge_crash: oops: writing through a NULL pointer"});
}

TEST_F(CrashModuleTest, BugIsCrashBlamingTheCaller) {
  run_mode({"bug", "", "crash", "crash", "kernel BUG in wedge_crash_bug", false,
            "wedge_crash: bug: calling BUG()"});
}

TEST_F(CrashModuleTest, WarnIsCrashBlamingTheWarningFunction) {
  run_mode({"warn", "", "crash", "crash", "WARNING in wedge_crash_warn", false,
            "wedge_crash: warn: WARN_ON(1)"});
}

// Spinning with preemption off: the soft-lockup watchdog (2 * watchdog_thresh = 4 s) reports it.
TEST_F(CrashModuleTest, SoftLockupIsHangInTheSpinningFunction) {
  run_mode({"softlock", "watchdog_thresh=2", "hang", "hang",
            "BUG: soft lockup in wedge_crash_softlock", false,
            "wedge_crash: softlock: spinning with preemption off"});
}

// A writer blocked on a mutex whose holder sleeps forever: hung_task (10 s) names the waiter.
TEST_F(CrashModuleTest, MutexHeldBySleeperIsHungTaskInTheWaiter) {
  run_mode({"mutex-sleep", "", "hang", "hang", "INFO: task hung in wedge_crash_mutex_wait", false,
            "wedge_crash: mutex-sleep: waiting for a mutex"});
}

// Interrupts off forever: under TCG the guest has no PMU, so no NMI watchdog ("Perf NMI watchdog
// permanently disabled") and the kernel prints nothing; only the lost heartbeat shows it.
TEST_F(CrashModuleTest, HardLockupIsHangByLostHeartbeat) {
  run_mode({"hardlock", "", "hang", "hang", "agent heartbeat lost", true,
            "wedge_crash: hardlock: spinning with interrupts off"});
}

}  // namespace
}  // namespace wedge
