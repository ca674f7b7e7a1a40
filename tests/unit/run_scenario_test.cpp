// Whole runs through the real Runner (run::run_scenario: every stage, the monitor loop, traces,
// teardown, the verdict and report.json) over a fake VM that replays recorded console logs and
// answers as the guest agent would (fake_vm.h, scripted_agent.h). No root, no guest: the
// transport is 9p (its host side is a folder) and the image comes from a stand-in source.
#include "harness/run/run_scenario.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "harness/config/load_scenario.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "reports/report.h"
#include "tests/unit/fake_vm.h"

namespace wedge::run {
namespace {

namespace fs = std::filesystem;
using reports::Verdict;
using testing::FakeBackend;
using testing::FakeVm;
using testing::ScriptedAgent;

// The body of a tests/testdata/console case file (the raw log after its header).
std::string recorded_console(const std::string& name) {
  auto text = read_file(fs::path(WEDGE_TESTDATA_DIR) / "console" / name);
  EXPECT_TRUE(text.ok()) << name;
  if (!text.ok()) return "";
  return text->substr(text->find("# ---\n") + 6);
}

class RunScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-run-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    // Under root the run directory must be reachable by QEMU's and the servers' users.
    fs::permissions(dir_->path(), fs::perms::owner_all | fs::perms::group_read |
                                      fs::perms::group_exec | fs::perms::others_read |
                                      fs::perms::others_exec);
    // The run's lease goes here, not into the user's runtime folder.
    ::setenv("WEDGE_STATE_DIR", (dir_->path() / "state").c_str(), 1);
    ASSERT_TRUE(write_file_atomic(dir_->path() / "bzImage", "kernel").ok());
    ASSERT_TRUE(write_file_atomic(dir_->path() / "initrd", "initrd").ok());
    // A healthy guest: its drivers are loaded, every command succeeds.
    agent_.files["/proc/sys/kernel/osrelease"] = "6.1.0-fake-amd64\n";
    agent_.files["/proc/modules"] =
        "9pnet_virtio 16384 0 - Live 0x0000000000000000\n9p 65536 0 - Live 0x0000000000000000\n";
    agent_.workload.exit_at_s = 1.5;
    reset_interrupt_for_tests();
  }
  void TearDown() override {
    ::unsetenv("WEDGE_STATE_DIR");
    reset_interrupt_for_tests();
  }

  // A 9p scenario whose command workload the scripted agent recognises; extra is appended.
  config::Scenario scenario(const std::string& extra = "") {
    const fs::path file = dir_->path() / "scenario.toml";
    std::string toml =
        "name = \"fake-run\"\n"
        "[guest]\nmemory_mib = 256\nkernel = \"debian-amd64\"\n"
        "[storage]\ntransport = \"9p\"\nuse = \"fs\"\n"
        "[workload]\nkind = \"command\"\n"
        "argv = [\"/bin/busybox\", \"true\", \"" +
        agent_.workload_marker + "\"]\n" + extra;
    EXPECT_TRUE(write_file_atomic(file, toml).ok());
    auto loaded = config::load_scenario(file);
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return *loaded;
  }

  // Runs scenario s on a fake guest that says hello at once, beats every 0.5 s until
  // heartbeats_until, and is further scripted by script.
  RunResult run(const config::Scenario& s, std::function<void(FakeVm&)> script = {},
                double heartbeats_until = 30) {
    auto backend_script = [this, script, heartbeats_until](FakeVm& guest, const vm::VmSpec& spec) {
      spec_ = spec;
      guest.on_destroy = [this] { destroyed_ = true; };
      guest.answer_with(&agent_);
      guest.agent_at(0, agent::Hello{"6.1.0-fake-amd64", "test", 1000, 2048, 2048});
      guest.heartbeats(0, heartbeats_until);
      if (script) script(guest);
    };
    RunOptions options;
    options.out_dir = dir_->path() / "run";
    options.accel = "kvm";  // no probe boot; timeouts unscaled
    options.quiet = std::getenv("WEDGE_TEST_VERBOSE") == nullptr;  // progress lines on demand
    options.memory_dump = false;
    options.reap_leftovers = false;
    RunSources sources{
        {"fake connection",
         [backend_script]() -> Result<std::unique_ptr<vm::Backend>> {
           return std::unique_ptr<vm::Backend>(std::make_unique<FakeBackend>(backend_script));
         }},
        {[this](const image::ImageRequest&, const image::ProgressFn&) -> Result<image::GuestImage> {
           image::GuestImage img;
           img.kernel = dir_->path() / "bzImage";
           img.boot_kernel = img.kernel;
           img.initrd = dir_->path() / "initrd";
           img.kernel_release = "6.1.0-fake-amd64";
           img.hash = "fakehash";
           return img;
         },
         [](const image::GuestImage&, const fs::path&, const image::ProgressFn&) {
           return fs::path();
         }}};
    return run_scenario(s, options, sources);
  }

  // report.json as written, next to the returned report.
  nlohmann::json written_report(const RunResult& r) {
    auto text = read_file(r.run_dir / "report.json");
    EXPECT_TRUE(text.ok());
    return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
  }

  std::unique_ptr<TempDir> dir_;
  ScriptedAgent agent_;
  std::optional<vm::VmSpec> spec_;  // the guest the run started
  bool destroyed_ = false;          // and whether teardown destroyed it
};

TEST_F(RunScenarioTest, AWorkloadThatExitsZeroPasses) {
  RunResult r = run(scenario());
  EXPECT_EQ(r.report.verdict, Verdict::kPass) << r.report.reason;
  EXPECT_EQ(reports::exit_code_for(r.report.verdict), 0);
  EXPECT_TRUE(r.report.findings.empty());
  EXPECT_EQ(r.report.guest.workload_exit_code, 0);
  EXPECT_EQ(r.report.accel, "kvm");
  EXPECT_EQ(r.report.qemu_version, "7.2.0");
  EXPECT_EQ(r.report.kernel_release, "6.1.0-fake-amd64");
  EXPECT_EQ(r.report.server.name, "9p (virtio, no server)");
  EXPECT_GE(r.report.boot_s, 0);
  nlohmann::json j = written_report(r);
  EXPECT_EQ(j.value("verdict", ""), "pass");
  // The guest was described by the stages: the console's, the detector's and the 9p share.
  EXPECT_TRUE(destroyed_);
  ASSERT_TRUE(spec_.has_value());
  EXPECT_EQ(spec_->cmdline,
            "console=ttyS0 loglevel=7 panic=0 net.ifnames=0 "
            "sysctl.kernel.hung_task_timeout_secs=10 sysctl.kernel.hung_task_warnings=-1 "
            "sysctl.kernel.sysrq=1");
  ASSERT_EQ(spec_->shared_folders.size(), 1u);
  EXPECT_EQ(spec_->shared_folders[0].tag, "wedge");
  // Teardown removed the transient files; the report lists what stayed.
  EXPECT_FALSE(fs::exists(r.run_dir / "agent.sock"));
  EXPECT_FALSE(fs::exists(r.run_dir / "9p-share"));
  EXPECT_NE(std::find(r.report.files.begin(), r.report.files.end(), "report.json"),
            r.report.files.end());
  // The agent mounted the share and ran the workload.
  bool mounted = false;
  for (const auto& req : agent_.requests) {
    mounted |= std::find(req.argv.begin(), req.argv.end(), "mount") != req.argv.end();
  }
  EXPECT_TRUE(mounted);
}

TEST_F(RunScenarioTest, AHungTaskDuringAFaultThatRecoversIsForgivenAndPasses) {
  // The balloon squeezes the guest from 0 to 3 s after the workload starts; the kernel reports
  // a hung task in that window (traces come from the recorded sysrq dumps); the workload
  // finishes well within stall_s after the fault and after its traces were taken. [limits]
  // recover is the default.
  agent_.workload.exit_at_s = 12;
  const std::string hung = recorded_console("host-nbd-server-stopped-hung-task-sysrq-w.log");
  RunResult r = run(scenario("[[fault]]\nkind = \"balloon\"\nat_s = 0\nduration_s = 3\n"
                             "balloon_mib = 128\n[limits]\nstall_s = 30\n"),
                    [&](FakeVm& vm) {
                      vm.console_at(2, hung);
                      vm.console_on_sysrq['w'] = hung;
                      vm.console_on_sysrq['t'] =
                          recorded_console("host-nbd-server-stopped-sysrq-t.log");
                    });
  EXPECT_EQ(r.report.verdict, Verdict::kPass) << r.report.reason;
  EXPECT_EQ(reports::exit_code_for(r.report.verdict), 0);
  ASSERT_EQ(r.report.findings.size(), 1u);
  EXPECT_EQ(r.report.findings[0].kind, "hang");
  EXPECT_TRUE(r.report.findings[0].during_fault);
  EXPECT_EQ(r.report.findings[0].title, "INFO: task hung in shmem_swapin_folio");
  EXPECT_FALSE(r.report.findings[0].stacks.empty());  // from the replayed sysrq-w dump
  ASSERT_FALSE(r.report.faults.empty());
  EXPECT_EQ(r.report.faults[0].kind, "balloon");
  EXPECT_TRUE(r.report.faults[0].stop_s.has_value());
  EXPECT_EQ(r.report.guest.workload_exit_code, 0);
}

TEST_F(RunScenarioTest, AnOopsOnTheConsoleIsACrash) {
  agent_.workload.exit_at_s.reset();  // the workload never returns
  RunResult r = run(
      scenario(), [](FakeVm& vm) { vm.console_at(0.5, recorded_console("wedge-crash-oops.log")); });
  EXPECT_EQ(r.report.verdict, Verdict::kCrash) << r.report.reason;
  EXPECT_EQ(reports::exit_code_for(r.report.verdict), 1);
  ASSERT_FALSE(r.report.findings.empty());
  EXPECT_EQ(r.report.findings[0].kind, "crash");
  EXPECT_EQ(r.report.findings[0].title,
            "BUG: unable to handle kernel NULL pointer dereference in wedge_crash_oops");
  EXPECT_EQ(r.report.reason, r.report.findings[0].title);
}

TEST_F(RunScenarioTest, QemuDyingMidRunIsAnInfraErrorNamingIt) {
  agent_.workload.exit_at_s.reset();
  RunResult r = run(scenario(), [](FakeVm& vm) {
    vm::DomainStatus gone;
    gone.state = vm::DomainState::kShutoff;
    gone.reason = "crashed";
    gone.detail = "qemu-system-x86_64: terminating on signal 9";
    gone.gone = true;
    vm.stops_at(1, gone);
  });
  EXPECT_EQ(r.report.verdict, Verdict::kInfraError) << r.report.reason;
  EXPECT_EQ(reports::exit_code_for(r.report.verdict), 125);
  EXPECT_TRUE(r.report.findings.empty());
  EXPECT_NE(r.report.infra_error.find("QEMU ended without the guest shutting down"),
            std::string::npos)
      << r.report.infra_error;
  EXPECT_EQ(r.report.reason, r.report.infra_error);
}

TEST_F(RunScenarioTest, SigintMidRunIsAnInfraErrorNamingThePhase) {
  install_interrupt_handlers();
  agent_.workload.exit_at_s.reset();
  RunResult r = run(scenario(), [](FakeVm& vm) { vm.at(1, [] { ::raise(SIGINT); }); });
  EXPECT_EQ(r.report.verdict, Verdict::kInfraError) << r.report.reason;
  EXPECT_EQ(reports::exit_code_for(r.report.verdict), 125);
  ASSERT_TRUE(r.report.interrupted.has_value());
  EXPECT_EQ(r.report.interrupted->signal, "SIGINT");
  EXPECT_EQ(r.report.interrupted->phase, "workload");
  EXPECT_EQ(r.report.infra_error, "interrupted by SIGINT during workload");
  EXPECT_TRUE(destroyed_);
  nlohmann::json j = written_report(r);
  EXPECT_EQ(j.value("verdict", ""), "infra_error");
}

TEST_F(RunScenarioTest, AScanThatBlocksStillGetsEveryTaskByTheKeyboard) {
  // The hung-task warning starts traces; the agent's sysrq-w reaches the console, then its task
  // scan blocks and the agent answers nothing more. sysrq-t (every task, running ones too) must
  // still be taken, by the keyboard once the agent's try goes unanswered.
  agent_.workload.exit_at_s.reset();
  agent_.stuck_from_scan = true;
  const std::string hung = recorded_console("host-nbd-server-stopped-hung-task-sysrq-w.log");
  RunResult r = run(scenario("[limits]\nstall_s = 60\n"), [&](FakeVm& vm) {
    vm.console_at(2, hung);
    vm.console_on_sysrq['w'] = hung;
    vm.console_on_sysrq['t'] = recorded_console("host-nbd-server-stopped-sysrq-t.log");
  });
  EXPECT_EQ(r.report.verdict, Verdict::kHang) << r.report.reason;
  auto summary = read_file(r.run_dir / "traces" / "0" / "summary.json");
  ASSERT_TRUE(summary.ok());
  nlohmann::json routes = nlohmann::json::parse(*summary).value("routes", nlohmann::json());
  EXPECT_NE(std::find(routes.begin(), routes.end(), "agent-sysrq"), routes.end()) << routes;
  EXPECT_NE(std::find(routes.begin(), routes.end(), "sysrq-key-t"), routes.end()) << routes;
  EXPECT_TRUE(fs::exists(r.run_dir / "traces" / "0" / "all-tasks.json"));
}

TEST_F(RunScenarioTest, AWorkloadThatExitsWhileTracesAreTakenIsSeenToExit) {
  // The workload's exit arrives while the hang's traces are being collected (the collector
  // reads the agent channel itself): the run must still see it and end, not wait for
  // duration_s.
  agent_.workload.exit_at_s = 2.5;
  const std::string hung = recorded_console("host-nbd-server-stopped-hung-task-sysrq-w.log");
  RunResult r = run(
      scenario("[[fault]]\nkind = \"balloon\"\nat_s = 0\nduration_s = 3\n"
               "balloon_mib = 128\n[limits]\nstall_s = 30\nduration_s = 40\n"),
      [&](FakeVm& vm) {
        vm.console_at(2, hung);
        vm.console_on_sysrq['w'] = hung;
        vm.console_on_sysrq['t'] = recorded_console("host-nbd-server-stopped-sysrq-t.log");
      },
      60);
  EXPECT_EQ(r.report.verdict, Verdict::kPass) << r.report.reason;
  EXPECT_EQ(r.report.guest.workload_exit_code, 0);
  EXPECT_LT(r.report.run_s, 30) << "the run waited for duration_s";
}

}  // namespace
}  // namespace wedge::run
