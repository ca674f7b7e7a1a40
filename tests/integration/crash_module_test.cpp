// End-to-end tests of wedge's detection on real kernel failures: the wedge_crash.ko test module
// (workloads/kmod) oopses, BUGs, warns, locks up or hangs a real guest; report.json must say so.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// The state letter of the task named comm in analyze-dump's task table
// ("    PID  ST  TASK  COMM" rows), or '-' when it is not listed.
char state_in_table(const std::string& table, const std::string& comm) {
  std::istringstream lines(table);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream row(line);
    std::string pid, state, task, name;
    if (row >> pid >> state >> task >> name && name == comm && state.size() == 1) return state[0];
  }
  return '-';
}

// One way to make the guest kernel fail, and what wedge must report for it.
struct Mode {
  std::string word;     // written to /proc/wedge_crash
  std::string cmdline;  // extra guest kernel arguments
  std::string verdict;
  std::string finding_kind;
  std::string title;  // the finding's exact title; a prefix when title_is_prefix
  bool title_is_prefix = false;
  std::string console_mentions;  // a line the module prints before it fails
  // A symbol the symbolized vCPU registers (traces/<n>/registers.txt) must name; "": unchecked.
  std::string registers_name = {};
  int vcpus = 1;
  bool title_is_suffix = false;  // title is the end of the finding's title
};

class CrashModuleTest : public ::testing::Test {
 public:
  void SetUp() override {
    ASSERT_TRUE(fs::is_regular_file(WEDGE_CRASH_KO))
        << WEDGE_CRASH_KO << " missing: build the wedge_crash_module target";
    auto d = TempDir::create("wedge-crash-module-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    // Reachable by the unprivileged QEMU and storage users, as a run folder must be.
    fs::permissions(dir_->path(), fs::perms(0755));
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
vcpus = {2}
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "insmod /extra/wedge_crash.ko && echo {0} > /proc/wedge_crash"]
files = ["wedge_crash.ko"]
[limits]
duration_s = 60
)",
                                                        mode.word, mode.cmdline, mode.vcpus))
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
      bool title_ok = mode.title_is_prefix   ? title.starts_with(mode.title)
                      : mode.title_is_suffix ? title.ends_with(mode.title)
                                             : title == mode.title;
      found |= f["kind"] == mode.finding_kind && title_ok;
    }
    EXPECT_TRUE(found) << "no " << mode.finding_kind << " finding titled '" << mode.title << "' in "
                       << report["findings"].dump(2);
    EXPECT_LT(took, 60) << "the run took " << took << " s";

    auto console = read_file(out / "console.log");
    ASSERT_TRUE(console.ok());
    EXPECT_NE(console->find(mode.console_mentions), std::string::npos)
        << "the module never ran: " << mode.console_mentions;

    if (!mode.registers_name.empty()) {
      std::string symbolized;
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(out / "traces", ec)) {
        auto registers = read_file(entry.path() / "registers.txt");
        if (!registers.ok()) continue;
        size_t section = registers->find("# symbolized");
        symbolized += registers->substr(section == std::string::npos ? 0 : section);
      }
      EXPECT_NE(symbolized.find(mode.registers_name), std::string::npos)
          << "registers.txt does not name " << mode.registers_name << ":\n"
          << symbolized;
    }

    // The guest is gone: no domain of this run is left behind.
    std::string domain = "wedge-" + report["run_id"].get<std::string>();
    auto backend = vm::LibvirtBackend::connect();
    ASSERT_TRUE(backend.ok()) << backend.error().message();
    auto domains = (*backend)->list_wedge_domains();
    ASSERT_TRUE(domains.ok());
    EXPECT_EQ(std::count(domains->begin(), domains->end(), domain), 0)
        << "domain " << domain << " outlived its run";
  }

  // `wedge analyze-dump` on the memory dump the run of `word` took: the kernel log read out
  // of guest memory must hold the module's message and give the same verdict; returns the
  // task table it wrote.
  std::string analyze_dump_of(const std::string& word, const std::string& verdict,
                              const std::string& log_mentions) {
    fs::path dump = dir() / word / "traces" / "0" / "vmcore.kdump";
    EXPECT_TRUE(fs::is_regular_file(dump)) << "no memory dump at " << dump;
    fs::path out = dir() / (word + "-dump");
    auto r = run_command(
        {WEDGE_BINARY, "analyze-dump", dump.string(), "--json", "--out", out.string()}, 600s);
    if (!r.ok()) {
      ADD_FAILURE() << r.error().message();
      return "";
    }
    EXPECT_EQ(r->status.code, 1) << r->out << r->err;
    json result = json::parse(r->out, nullptr, false);
    EXPECT_EQ(result.value("verdict", ""), verdict) << r->out << r->err;
    EXPECT_NE(result.value("kernel_release", ""), "") << r->out;
    auto log = read_file(out / "vmcore-kernel.log");
    EXPECT_TRUE(log.ok()) << r->err;
    if (log.ok()) {
      EXPECT_NE(log->find(log_mentions), std::string::npos) << "not in the dump's log";
    }
    auto tasks = read_file(out / "vmcore-tasks.txt");
    EXPECT_TRUE(tasks.ok()) << r->err;
    return tasks.ok() ? *tasks : "";
  }

  std::unique_ptr<TempDir> dir_;
};

// A NULL dereference: the oops blames the function that dereferenced.
TEST_F(CrashModuleTest, OopsIsCrashBlamingTheFaultingFunction) {
  run_mode({"oops", "", "crash", "crash",
            "BUG: unable to handle kernel NULL pointer dereference in wedge_crash_oops", false,
            "wedge_crash: oops: writing through a NULL pointer"});
  analyze_dump_of("oops", "crash", "wedge_crash: oops: writing through a NULL pointer");
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
// Stalls are titled with the function just inside the entry point that dispatched the looping
// work (here the module's write handler, inside proc_reg_write), as kernel bug trackers do.
TEST_F(CrashModuleTest, SoftLockupIsHangInTheSpinningWrite) {
  run_mode({"softlock", "watchdog_thresh=2", "hang", "hang",
            "BUG: soft lockup in wedge_crash_write", false,
            "wedge_crash: softlock: spinning with preemption off"});
}

// Issue 19: a kthread spins with preemption off on the other vCPU while the writer waits for an
// RCU grace period. The first sign may be the writer's hung task in synchronize_rcu, but the
// title must name the spinning function, whichever report names it (the RCU stall, the soft
// lockup or the vCPU registers). tests/bench/spinning_cpu_bench.sh repeats it 10 times.
TEST_F(CrashModuleTest, RcuSpinOnTheOtherCpuIsTitledByTheSpinner) {
  Mode mode{"rcu-spin",
            "",
            "hang",
            "hang",
            " in wedge_crash_spinning",
            false,
            "wedge_crash: rcu-spin: spinning with preemption off"};
  mode.vcpus = 2;
  mode.title_is_suffix = true;
  run_mode(mode);
}

// A writer blocked on a mutex whose holder sleeps forever: hung_task (10 s) names the waiter
// (past its wait helper wedge_crash_mutex_wait: the hung-task rule skips wait primitives).
TEST_F(CrashModuleTest, MutexHeldBySleeperIsHungTaskInTheWaiter) {
  run_mode({"mutex-sleep", "", "hang", "hang", "INFO: task hung in wedge_crash_write", false,
            "wedge_crash: mutex-sleep: waiting for a mutex"});
  // Read from guest memory: the waiter (the shell writing to /proc/wedge_crash) and the
  // kthread holding the mutex are both in D.
  std::string tasks = analyze_dump_of("mutex-sleep", "hang", "wedge_crash: mutex-sleep");
  EXPECT_EQ(state_in_table(tasks, "wedge_crash_hol"), 'D') << tasks;
  EXPECT_EQ(state_in_table(tasks, "sh"), 'D') << tasks;
}

// Interrupts off forever: under TCG the guest has no PMU, so no NMI watchdog ("Perf NMI watchdog
// permanently disabled") and the kernel prints nothing; only the lost heartbeat shows it. The
// module was loaded right before (the agent never saw it), the agent is dead: the vCPU's RIP
// is named from the module's symbols read from guest memory.
// The heartbeat stops, and the vCPU registers then show the CPU running in the same function in
// every sample: the hang is titled by where the CPU is stuck (a livelock).
TEST_F(CrashModuleTest, HardLockupIsHangByLostHeartbeat) {
  run_mode({"hardlock", "", "hang", "hang", "CPU stuck in wedge_crash_hardlock", false,
            "wedge_crash: hardlock: spinning with interrupts off", "wedge_crash_hardlock+0x"});
  // The agent is dead here: core kernel names come from the host's copy of the kernel's
  // System.map, moved by the KASLR offset learned at boot.
  auto registers = read_file(dir() / "hardlock" / "traces" / "0" / "registers.txt");
  ASSERT_TRUE(registers.ok());
  EXPECT_NE(registers->find("# symbols: core kernel from System.map"), std::string::npos)
      << *registers;
}

}  // namespace
}  // namespace wedge
