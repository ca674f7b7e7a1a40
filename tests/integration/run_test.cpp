// End-to-end tests of `wedge run` on real guests: the real CLI binary boots the real default
// image under libvirt (TCG), swaps over a real NBD server, and we check what the guest itself
// reported, plus the failure paths (missing or broken server, bad input) and leaks.
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <thread>

#include "tests/integration/builtin_scenario.h"
#include "tests/integration/run_helpers.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

using test::expect_nothing_leaked;
using test::load_json;
using test::processes_mentioning;
using test::run_wedge;
using test::WedgeRun;

class RunTest : public test::TempDirTest {};

// The default main job: the guest really swaps to /dev/nbd0 and the hog finishes.
TEST_F(RunTest, NbdSwapHogSwapsOverNbdAndPasses) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "nbd-swap-hog", "--out", out.string()}, 600s);
  json report = load_json(out / "report.json");
  if (!test::passed_or_wedged_with_stacks(r.status, report)) {
    expect_nothing_leaked(out);
    return;
  }
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(report["exit_code"], 0);
  EXPECT_GT(report["guest"]["pswpout"].get<uint64_t>(), 0u);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  EXPECT_EQ(report["guest"]["workload_progress_mib"], 600);
  EXPECT_GT(report["timings"]["boot_s"].get<double>(), 0);
  EXPECT_EQ(report["accel"], "tcg");
  EXPECT_FALSE(report["versions"]["kernel"].get<std::string>().empty());
  EXPECT_FALSE(report["versions"]["qemu"].get<std::string>().empty());
  // Swap writes crossed the wire: at least the swapped-out part of the hog.
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 200ull << 20);

  // From the guest's own samples: SwapFree dropped by at least 200 MiB.
  test::SwapSeen swap = test::swap_seen(out);
  ASSERT_GT(swap.samples, 3) << "too few samples with swap on";
  EXPECT_GE(swap.total_kb, 1000ull * 1024) << "swap device is not the 1 GiB NBD export";
  EXPECT_GE(swap.max_used_kb, 200ull * 1024)
      << "SwapFree dropped only " << swap.max_used_kb / 1024 << " MiB";
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find("nbd0"), std::string::npos) << "kernel never mentioned nbd0";
  expect_nothing_leaked(out);
}

// nbdkit serves the same scenario (smaller hog to keep the suite short).
TEST_F(RunTest, NbdkitServerAlsoCarriesSwap) {
  fs::path scenario = write_scenario("nbdkit", R"(
name = "nbdkit-swap-hog"
[storage]
server = "nbdkit"
size_mib = 512
[workload]
size_mib = 400
)");
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 600s);
  json report = load_json(out / "report.json");
  if (!test::passed_or_wedged_with_stacks(r.status, report)) {
    expect_nothing_leaked(out);
    return;
  }
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_GT(report["guest"]["pswpout"].get<uint64_t>(), 0u);
  EXPECT_NE(report["server"]["name"].get<std::string>().find("nbdkit"), std::string::npos);
  expect_nothing_leaked(out);
}

// A storage server that cannot serve: wedge could not test (125), report.json says why.
void expect_infra_error(RunTest& t, const fs::path& scenario, const std::string& why) {
  fs::path out = t.dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string()}, 300s);
  EXPECT_EQ(r.status.code, 125) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "infra_error");
  EXPECT_NE(report["infra_error"].get<std::string>().find(why), std::string::npos)
      << report["infra_error"];
  expect_nothing_leaked(out);
}

// The server binary is missing.
TEST_F(RunTest, MissingServerIsInfraError) {
  expect_infra_error(
      *this,
      write_scenario("missing",
                     "[storage]\nserver_binary = \"/nonexistent/nbd-server\"\n[workload]\n"),
      "/nonexistent/nbd-server");
}

// The server starts and dies at once: the report quotes how it ended.
TEST_F(RunTest, ServerThatDiesAtStartIsInfraError) {
  expect_infra_error(
      *this, write_scenario("dies", "[storage]\nserver_binary = \"/bin/false\"\n[workload]\n"),
      "exit");
}

TEST_F(RunTest, BadScenarioIsUsageErrorWithFileAndLine) {
  fs::path scenario = write_scenario("bad", "[guest]\nmemory_mb = 256\n");
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string()}, 30s);
  EXPECT_EQ(r.status.code, 2);
  EXPECT_NE(r.err.find("bad.toml:2: unknown key 'memory_mb' in [guest]"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(RunTest, MissingKernelIsUsageError) {
  WedgeRun r = run_wedge(
      {"run", "--kernel", "/nonexistent/bzImage", "--out", (dir() / "run").string()}, 30s);
  EXPECT_EQ(r.status.code, 2);
  EXPECT_NE(r.err.find("/nonexistent/bzImage is not a file or folder here"), std::string::npos)
      << r.err;
}

// A kernel that cannot find its init panics at boot: that is the kernel's failure (exit 1,
// boot_failure), found from the console without waiting for the agent's boot timeout.
TEST_F(RunTest, KernelThatPanicsAtBootIsBootFailure) {
  fs::path scenario = write_scenario("noinit", R"(
[guest]
cmdline = "rdinit=/nonexistent init=/nonexistent"
[workload]
)");
  fs::path out = dir() / "run";
  auto started = std::chrono::steady_clock::now();
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string()}, 300s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.status.code, 1) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "boot_failure");
  EXPECT_NE(report["reason"].get<std::string>().find("kernel panic"), std::string::npos)
      << report["reason"];
  EXPECT_TRUE(report["timings"]["boot_s"].is_null());
  EXPECT_LT(took, 50) << "boot failure was not detected from the console";
  expect_nothing_leaked(out);
}

// SIGINT in the middle of the workload: clean teardown, report says why, exit 125.
// Starts `wedge run nbd-swap-hog` in the background and returns once its workload runs.
ChildProcess start_run_until_workload(const fs::path& out, const fs::path& log) {
  SpawnOptions options;
  options.stdout_path = log;
  auto child =
      ChildProcess::spawn({WEDGE_BINARY, "run", "nbd-swap-hog", "--out", out.string()}, options);
  EXPECT_TRUE(child.ok()) << child.error().message();
  bool in_workload = false;
  for (int i = 0; i < 1200 && !in_workload; ++i) {
    auto text = read_file(log);
    in_workload = text.ok() && text->find("workload:") != std::string::npos;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(in_workload) << "run never reached its workload";
  return std::move(*child);
}

TEST_F(RunTest, InterruptMidRunTearsDownAndReports) {
  fs::path out = dir() / "run";
  ChildProcess child = start_run_until_workload(out, dir() / "stdout");
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  auto status = child.wait_for(60s);
  ASSERT_TRUE(status.ok()) << "wedge did not stop after SIGINT";
  EXPECT_EQ(status->code, 125);
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "infra_error");
  EXPECT_NE(report["infra_error"].get<std::string>().find("interrupted by SIGINT during workload"),
            std::string::npos)
      << report["infra_error"];
  expect_nothing_leaked(out);
}

// The user's own reproducer: a host file copied into the guest under /extra and run by argv.
// Exit 0 passes; a non-zero exit with no kernel message to blame is "workload_failed" (exit 1).
TEST_F(RunTest, CommandWorkloadRunsUserFilesFromExtra) {
  fs::copy_file(fs::path(WEDGE_TESTDATA_DIR) / "scenarios" / "repro.sh", dir() / "repro.sh");
  for (int code : {0, 3}) {
    fs::path scenario = write_scenario(fmt::format("cmd{}", code), fmt::format(R"(
[workload]
kind = "command"
argv = ["/bin/sh", "/extra/repro.sh", "{}"]
files = ["repro.sh"]
)",
                                                                               code));
    fs::path out = dir() / fmt::format("run{}", code);
    WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 300s);
    json report = load_json(out / "report.json");
    auto log = read_file(out / "workload.log");
    ASSERT_TRUE(log.ok());
    EXPECT_NE(log->find("repro: swap is on nbd0"), std::string::npos) << *log;
    EXPECT_EQ(report["guest"]["workload_exit_code"], code);
    if (code == 0) {
      EXPECT_EQ(r.status.code, 0) << r.out << r.err;
      EXPECT_EQ(report["verdict"], "pass");
    } else {
      EXPECT_EQ(r.status.code, 1) << r.out << r.err;
      EXPECT_EQ(report["verdict"], "workload_failed");
      EXPECT_EQ(report["findings"][0]["title"], "workload exited 3");
    }
    expect_nothing_leaked(out);
  }
}

// A guest that floods its console: the run still finishes with the verdict the workload
// earns (a flood is recorded, not a finding), the heartbeat is not lost under the flood, and
// wedge read every byte the console log (and its rotated predecessor, if any) holds.
TEST_F(RunTest, ConsoleFloodIsRecordedAndLosesNothing) {
  fs::path scenario = write_scenario("flood", R"(
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "yes wedge-console-flood-0123456789abcdefghijklmnopqrstuvwxyz | head -c 8000000 > /dev/console; echo wedge-flood-over > /dev/console; echo flooded"]
[limits]
duration_s = 240
)");
  fs::path out = dir() / "flood";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 400s);
  json report = load_json(out / "report.json");
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(report["verdict"], "pass") << report["findings"].dump(2);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);

  uint64_t on_disk = fs::file_size(out / "console.log");
  if (fs::exists(out / "console.log.0")) on_disk += fs::file_size(out / "console.log.0");
  uint64_t read = report["console"]["bytes"];
  EXPECT_GE(read, 8000000u);
  EXPECT_EQ(read, on_disk) << "wedge read a different amount than the console log holds";
  ASSERT_GE(report["console"]["floods"].size(), 1u) << report["console"].dump(2);
  uint64_t flooded = 0;
  for (const auto& f : report["console"]["floods"]) flooded += f["bytes"].get<uint64_t>();
  EXPECT_GE(flooded, 4000000u) << report["console"].dump(2);

  auto log = read_file(out / "console.log");
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("wedge-flood-over"), std::string::npos) << "the line after the flood";
  expect_nothing_leaked(out);
}

// In the guest the agent (PID 1) runs its serving loop as PR_SET_IO_FLUSHER, so its own
// allocations never wait on the stuck swap device; its helper threads and the workload must
// not be (they would spin in reclaim, or test something else than the scenario says).
TEST_F(RunTest, OnlyTheAgentsServingLoopIsAnIoFlusher) {
  fs::path scenario = write_scenario("ioflusher", R"toml(
[workload]
kind = "command"
argv = ["/bin/sh", "-c", "for t in /proc/1/task/*; do echo task ${t##*/} $(cut -d' ' -f9 $t/stat) $(cat $t/comm); done; echo job $(cut -d' ' -f9 /proc/self/stat)"]
)toml");
  fs::path out = dir() / "ioflusher";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 300s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  auto log = read_file(out / "workload.log");
  ASSERT_TRUE(log.ok());
  constexpr uint64_t kIoFlusher = 0x80000 | 0x100000;  // PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE
  std::istringstream lines(*log);
  std::string line;
  int threads = 0;
  bool job_seen = false;
  while (std::getline(lines, line)) {
    std::istringstream row(line.substr(
        line.find_first_not_of(' ') == std::string::npos ? 0 : line.find_first_not_of(' ')));
    std::string what;
    row >> what;
    if (what == "task") {
      std::string tid, comm;
      uint64_t flags = 0;
      row >> tid >> flags >> comm;
      ++threads;
      EXPECT_EQ(flags & kIoFlusher, tid == "1" ? kIoFlusher : 0u) << line;
    } else if (what == "job") {
      uint64_t flags = 0;
      row >> flags;
      job_seen = true;
      EXPECT_EQ(flags & kIoFlusher, 0u) << "the workload inherited IO_FLUSHER: " << line;
    }
  }
  EXPECT_GE(threads, 4) << *log;  // serving loop, file worker, task scan, task cache
  EXPECT_TRUE(job_seen) << *log;
}

// A user's own kernel: a bzImage plus a modules directory (INSTALL_MOD_PATH layout). Here the
// Debian kernel stands in, copied out of the cache so wedge sees only a path and a directory.
TEST_F(RunTest, CustomKernelWithModulesDirectory) {
  fs::path cache = fs::path(std::getenv("HOME")) / ".cache" / "wedge" / "kernels";
  fs::path root;
  for (const auto& e : fs::directory_iterator(cache)) {
    if (fs::exists(e.path() / "root" / "lib" / "modules")) root = e.path() / "root";
  }
  ASSERT_FALSE(root.empty()) << "no cached Debian kernel (the default-scenario test fetches it)";
  fs::path bz;
  for (const auto& e : fs::directory_iterator(root / "boot")) {
    if (e.path().filename().string().rfind("vmlinuz-", 0) == 0) bz = e.path();
  }
  fs::copy_file(bz, dir() / "bzImage");
  fs::create_directories(dir() / "mods" / "lib");
  fs::create_directory_symlink(root / "lib" / "modules", dir() / "mods" / "lib" / "modules");
  fs::path scenario = write_scenario("custom", R"(
[workload]
size_mib = 320
)");
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--kernel", (dir() / "bzImage").string(),
                          "--modules", (dir() / "mods").string(), "--out", out.string(), "-q"},
                         300s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass");
  EXPECT_EQ(report["image"]["kernel_source"], (dir() / "bzImage").string());
  EXPECT_GT(report["guest"]["pswpout"].get<uint64_t>(), 0u);
  expect_nothing_leaked(out);
}

// wedge SIGKILLed mid-run runs no teardown at all: its server dies with it, and the guest
// (no longer tied to wedge's libvirt connection, so that it survives a libvirtd restart) and
// export image go with `wedge gc` (as with the next wedge run: host_failure_test), which finds
// their owner dead.
TEST_F(RunTest, SigkillMidRunLeavesNothingAfterGc) {
  fs::path out = dir() / "run";
  ChildProcess child = start_run_until_workload(out, dir() / "stdout");
  ASSERT_EQ(::kill(child.pid(), SIGKILL), 0);
  ASSERT_TRUE(child.wait_for(10s).ok());
  WedgeRun gc = run_wedge({"gc"}, 120s);
  EXPECT_EQ(gc.status.code, 0) << gc.out << gc.err;
  EXPECT_NE(gc.out.find("removed guest wedge-"), std::string::npos) << gc.out;
  bool clean = false;
  for (int i = 0; i < 200 && !clean; ++i) {
    clean = processes_mentioning(out.string()).empty() && !fs::exists(out / "export.img");
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(clean) << "server or export image outlived a SIGKILLed wedge and wedge gc";
  EXPECT_EQ(gc.out.find("could not"), std::string::npos) << gc.out;
}

// libvirtd is not there (its socket is gone): wedge could not test, and says what it tried.
TEST_F(RunTest, DeadLibvirtDaemonIsInfraError) {
  ::setenv("WEDGE_LIBVIRT_URI", "qemu:///system?socket=/nonexistent/libvirt-sock", 1);
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "nbd-swap-hog", "--out", out.string()}, 120s);
  ::unsetenv("WEDGE_LIBVIRT_URI");
  EXPECT_EQ(r.status.code, 125) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "infra_error");
  EXPECT_NE(report["infra_error"].get<std::string>().find("connecting to libvirt"),
            std::string::npos)
      << report["infra_error"];
  expect_nothing_leaked(out);
}

// Issue proof (a): the host's NBD server is stopped mid-swap. The hang is found well before
// the stall ends, blocked tasks' stacks come back through the guest, the fault is on the
// timeline, and once the server resumes the guest recovers and the run passes.
TEST_F(RunTest, ServerStalledMidSwapIsCaughtWithStacksAndRecovers) {
  fs::path out = dir() / "run";
  // The built-in file's hog is 400 MiB; the stall starts at 100 MiB of swap, and 300 MiB still
  // swaps well past that after the resume, in less time.
  fs::path scenario = test::builtin_with("nbd-server-stall", dir(), {{"workload.size_mib", 300}});
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 600s);
  json report = load_json(out / "report.json");
  if (test::wedged_before_any_fault(r.status, report)) {
    expect_nothing_leaked(out);
    return;
  }
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  ASSERT_EQ(report["faults"].size(), 1u);
  const json& fault = report["faults"][0];
  EXPECT_EQ(fault["kind"], "server-stall");
  double stall_start = fault["start_s"], stall_stop = fault["stop_s"];
  EXPECT_NEAR(stall_stop - stall_start, 30, 3) << "the stall did not keep its duration";

  json hang;
  int hangs = 0;
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "hang" && hangs++ == 0) hang = f;
  }
  ASSERT_FALSE(hang.is_null()) << "the stall was not detected as a hang";
  EXPECT_EQ(hangs, 1) << "one stall is one hang: " << report["findings"].dump(2);
  EXPECT_TRUE(test::during_fault(hang)) << hang.dump(2);
  double detected = hang["detected_s"];
  EXPECT_GT(detected, stall_start);
  EXPECT_LT(detected, stall_stop) << "hang found only after the server came back";
  EXPECT_EQ(hang["subkind"], "deadlock");  // vCPU halted, tasks asleep on swap I/O
  ASSERT_FALSE(hang["traces_s"].is_null());
  EXPECT_LT(hang["traces_s"].get<double>() - detected, 30) << "traces took too long";
  ASSERT_FALSE(hang["stacks"].empty()) << "no blocked task stacks";
  bool swap_writer_blocked = false;
  for (const auto& g : hang["stacks"]) {
    auto frames = g["frames"].get<std::vector<std::string>>();
    swap_writer_blocked |= g["state"] == "D" && std::find(frames.begin(), frames.end(),
                                                          "__swap_writepage") != frames.end();
  }
  EXPECT_TRUE(swap_writer_blocked) << hang["stacks"].dump(2);
  auto routes = hang["routes"].get<std::vector<std::string>>();
  EXPECT_TRUE(std::find(routes.begin(), routes.end(), "registers") != routes.end());
  // The agent's own task scan answers although swap is stuck: it reads the /proc files it
  // already holds open, on a thread of its own (workloads/agent/task_cache.h).
  EXPECT_TRUE(std::find(routes.begin(), routes.end(), "agent") != routes.end())
      << "the agent's task scan gave nothing: " << hang.dump(2);
  // sysrq-t through the agent: every task, sleeping ones too (nbd-client's threads, kthreads).
  EXPECT_TRUE(std::find(routes.begin(), routes.end(), "agent-sysrq-t") != routes.end())
      << hang.dump(2);
  json all_tasks = load_json(out / "traces" / "0" / "all-tasks.json");
  EXPECT_GE(all_tasks.size(), 20u);
  EXPECT_TRUE(std::any_of(all_tasks.begin(), all_tasks.end(), [](const json& t) {
    return t["state"] == "S";
  })) << "no sleeping task in the sysrq-t dump";
  EXPECT_TRUE(fs::exists(out / "traces" / "0" / "summary.json"));
  EXPECT_TRUE(fs::exists(out / "faults.jsonl"));
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  expect_nothing_leaked(out);
}

// The agent's io-flusher mode (server_io_flusher = true on nbd-loopback) execs its program in
// the IO_FLUSHER state: the flag survives execve, so the program itself runs with it.
TEST_F(RunTest, IoFlusherModeExecsItsProgramAsAnIoFlusher) {
  fs::path scenario = write_scenario("ioflusher-exec", R"toml(
[workload]
kind = "command"
argv = ["/init", "io-flusher", "/bin/busybox", "cut", "-d", " ", "-f", "2,9", "/proc/self/stat"]
)toml");
  fs::path out = dir() / "ioflusher-exec";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 300s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  auto log = read_file(out / "workload.log");
  ASSERT_TRUE(log.ok());
  std::istringstream row(*log);
  std::string comm;
  uint64_t flags = 0;
  row >> comm >> flags;
  EXPECT_EQ(comm, "(busybox)") << *log;                // the exec'd program, not the wrapper
  constexpr uint64_t kIoFlusher = 0x80000 | 0x100000;  // PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE
  EXPECT_EQ(flags & kIoFlusher, kIoFlusher) << *log;
}

// use = "fs": the guest makes ext4 on the NBD device and mounts it at /mnt/wedge; a file the
// workload writes there is in the export on the host, in a filesystem e2fsprogs can read.
TEST_F(RunTest, FsUseOnNbdMakesExt4AtMntWedge) {
  fs::path scenario = write_scenario("fs", R"(
name = "nbd-fs"
[storage]
size_mib = 256
use = "fs"
mount_options = "sync"
[workload]
kind = "command"
argv = ["/bin/busybox", "dd", "if=/dev/zero", "of=/mnt/wedge/data", "bs=1048576", "count=24", "conv=fsync"]
[limits]
duration_s = 200
)");
  fs::path out = dir() / "run";
  WedgeRun r =
      run_wedge({"run", scenario.string(), "--out", out.string(), "-q", "--keep-export"}, 600s);
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  auto setup = read_file(out / "setup.log");
  ASSERT_TRUE(setup.ok());
  EXPECT_NE(setup->find("mke2fs -t ext4 -F -q /dev/nbd0"), std::string::npos) << *setup;
  EXPECT_NE(setup->find("mount -t ext4 -o sync /dev/nbd0 /mnt/wedge"), std::string::npos);
  // The guest was destroyed with the filesystem mounted: what fsync made durable may still sit
  // in the journal. e2fsck replays it (as a mount would) and checks the rest: 0 or 1 = clean.
  auto fsck = run_command({"e2fsck", "-fy", (out / "export.img").string()}, 60s);
  ASSERT_TRUE(fsck.ok());
  EXPECT_LE(fsck->status.code, 1) << fsck->out << fsck->err;
  auto stat = run_command({"debugfs", "-R", "stat /data", (out / "export.img").string()}, 30s);
  ASSERT_TRUE(stat.ok());
  EXPECT_NE(stat->out.find("Size: 25165824"), std::string::npos) << stat->out << stat->err;
  EXPECT_GT(json::parse(*read_file(out / "report.json"))["server"]["bytes_written"].get<uint64_t>(),
            24ull << 20);
}

// use = "device": nothing is made on the device; the workload gets the raw /dev/nbd0.
TEST_F(RunTest, DeviceUseOnNbdLeavesTheRawDevice) {
  fs::path scenario = write_scenario("dev", R"(
name = "nbd-device"
[storage]
size_mib = 64
use = "device"
[workload]
kind = "command"
argv = ["/bin/busybox", "dd", "if=/init", "of=/dev/nbd0", "bs=65536", "count=4", "conv=fsync"]
[limits]
duration_s = 200
)");
  fs::path out = dir() / "run";
  WedgeRun r =
      run_wedge({"run", scenario.string(), "--out", out.string(), "-q", "--keep-export"}, 600s);
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  auto setup = read_file(out / "setup.log");
  ASSERT_TRUE(setup.ok());
  EXPECT_EQ(setup->find("mkswap"), std::string::npos) << *setup;
  EXPECT_EQ(setup->find("mke2fs"), std::string::npos) << *setup;
  // The agent binary (the guest's /init) is now the start of the export.
  auto exported = read_file(out / "export.img");
  auto agent = read_file(fs::path(WEDGE_BINARY).parent_path() / "wedge-agent");
  ASSERT_TRUE(exported.ok() && agent.ok());
  EXPECT_EQ(exported->substr(0, 4 * 65536), agent->substr(0, 4 * 65536));
}

// MD RAID1 from two NBD exports, each leg its own host server: the mirror comes up with both
// legs, swap runs on /dev/md0, and when leg 1's server is killed mid-swap md fails that leg and
// the guest carries on with leg 0.
TEST_F(RunTest, Raid1OverTwoNbdLegsSurvivesALegCrash) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "nbd-raid1-leg-crash", "--out", out.string(), "-q"}, 900s);
  json report = load_json(out / "report.json");
  if (!test::passed_or_wedged_with_stacks(r.status, report)) {
    expect_nothing_leaked(out);
    return;
  }
  EXPECT_EQ(report["server"]["name"], "RAID1 over 2 x nbd-server 3.24");
  ASSERT_EQ(report["faults"].size(), 1u);
  EXPECT_EQ(report["faults"][0]["kind"], "server-crash");
  EXPECT_TRUE(report["faults"][0]["error"].is_null()) << report["faults"].dump(2);
  auto setup = read_file(out / "setup.log");
  ASSERT_TRUE(setup.ok());
  EXPECT_NE(setup->find("Raid Level : raid1"), std::string::npos) << *setup;
  EXPECT_NE(setup->find("Active Devices : 2"), std::string::npos) << *setup;
  EXPECT_NE(setup->find("swapon /dev/md0"), std::string::npos) << *setup;
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find("md/raid1:md0: Disk failure on nbd1, disabling device"),
            std::string::npos)
      << "md never failed the crashed leg";
  EXPECT_NE(console->find("Operation continuing on 1 devices"), std::string::npos);
  EXPECT_GT(report["guest"]["swap_peak_mib"].get<double>(), 100);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  EXPECT_EQ(report["guest"]["workload_progress_mib"], 400);
  // Both legs carried the mirror's writes until the crash.
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 200ull << 20);
  expect_nothing_leaked(out);
  EXPECT_FALSE(fs::exists(out / "export-1.img"));
}

// Issue proof (b): nbd-server inside the guest serving the guest's own swap deadlocks at the
// first swap-out. No fault is injected and the kernel prints no hung-task warning; wedge must
// still call it a hang (deadlock) and bring back nbd-server's own stack.
TEST_F(RunTest, LoopbackNbdSwapDeadlockIsFoundWithNbdServerStack) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "nbd-loopback-deadlock", "--out", out.string(), "-q"}, 600s);
  EXPECT_EQ(r.status.code, 1) << r.out << r.err;
  json report = load_json(out / "report.json");
  ASSERT_EQ(report["verdict"], "hang") << report.dump(2);
  EXPECT_TRUE(report["faults"].empty());
  const json& hang = report["findings"][0];
  EXPECT_EQ(hang["kind"], "hang");
  EXPECT_EQ(hang["subkind"], "deadlock");
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_EQ(console->find("blocked for more than"), std::string::npos)
      << "the kernel's own detector fired; this test is about finding the hang without it";
  bool server_stack = false;
  for (const auto& g : hang["stacks"]) {
    for (const auto& task : g["tasks"]) {
      server_stack |= task.get<std::string>().rfind("nbd-server:", 0) == 0;
    }
  }
  EXPECT_TRUE(server_stack) << "nbd-server's stack missing: " << hang["stacks"].dump(2);
  auto routes = hang["routes"].get<std::vector<std::string>>();
  EXPECT_TRUE(std::find(routes.begin(), routes.end(), "agent") != routes.end())
      << "the agent's task scan gave nothing: " << hang.dump(2);
  expect_nothing_leaked(out);
}

}  // namespace
}  // namespace wedge
