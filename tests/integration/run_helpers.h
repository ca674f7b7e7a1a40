// Helpers for integration tests that drive the real `wedge` CLI: run it, read what a run wrote
// (report.json, samples.jsonl), and check that a run left nothing behind. Needs WEDGE_BINARY.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge::test {

// Every report.json a test reads adds "<test> <boot_s> <domain_start_s> <boot_cpu_wait_s>
// <domain_start_cpu_wait_s> <path>" to WEDGE_BOOT_TIMES_FILE (-1: not in the report), which
// boot_times_test checks once the whole integration suite has run (ci/test.sh).
inline void record_boot_time(const std::filesystem::path& report_path, const nlohmann::json& r) {
  if (report_path.filename() != "report.json" || !r.is_object()) return;
  auto timings = r.find("timings");
  if (timings == r.end() || !timings->is_object()) return;
  auto boot = timings->find("boot_s");
  if (boot == timings->end() || !boot->is_number()) return;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info ? std::string(info->test_suite_name()) + "." + info->name() : "?";
  auto seconds = [&](const char* name) {
    auto value = timings->find(name);
    return value != timings->end() && value->is_number() ? value->get<double>() : -1.0;
  };
  std::ofstream(WEDGE_BOOT_TIMES_FILE, std::ios::app)
      << test << ' ' << boot->get<double>() << ' ' << seconds("domain_start_s") << ' '
      << seconds("boot_cpu_wait_s") << ' ' << seconds("domain_start_cpu_wait_s") << ' '
      << report_path.string() << '\n';
}

inline nlohmann::json load_json(const std::filesystem::path& path) {
  auto text = read_file(path);
  EXPECT_TRUE(text.ok()) << path;
  nlohmann::json parsed = text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
  record_boot_time(path, parsed);
  return parsed;
}

// Processes whose command line mentions `needle`, or whose working directory is inside it
// (servers started for a run name its dir, or run in it).
inline std::vector<std::string> processes_mentioning(const std::string& needle) {
  namespace fs = std::filesystem;
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (pid == std::to_string(::getpid())) continue;
    auto cmdline = read_file(entry.path() / "cmdline");
    if (!cmdline.ok()) continue;
    std::string line = *cmdline;
    std::replace(line.begin(), line.end(), '\0', ' ');
    std::error_code ec;
    std::string cwd = fs::read_symlink(entry.path() / "cwd", ec).string();
    if (line.find(needle) != std::string::npos || (!ec && cwd.rfind(needle, 0) == 0)) {
      found.push_back(pid + ": " + line);
    }
  }
  return found;
}

// The run's guest is gone (only this run's: other runs may be going on at the same time), and
// so are its servers, export images and agent socket.
inline void expect_nothing_leaked(const std::filesystem::path& run_dir) {
  nlohmann::json report = load_json(run_dir / "report.json");
  ASSERT_TRUE(report.contains("run_id")) << "no report.json in " << run_dir;
  const std::string domain = "wedge-" + report["run_id"].get<std::string>();
  auto backend = vm::LibvirtBackend::connect();
  ASSERT_TRUE(backend.ok()) << backend.error().message();
  auto domains = (*backend)->list_wedge_domains();
  ASSERT_TRUE(domains.ok());
  EXPECT_EQ(std::count(domains->begin(), domains->end(), domain), 0) << "leftover " << domain;
  auto procs = processes_mentioning(run_dir.string());
  EXPECT_TRUE(procs.empty()) << "leftover process " << procs.front();
  for (const char* file :
       {"export.img", "export-1.img", "agent.sock", "agent.gate-in.sock", "agent.gate-out.sock"}) {
    EXPECT_FALSE(std::filesystem::exists(run_dir / file)) << file << " left behind";
  }
  // report.json names only files that exist, and no interrupted write left a temp file.
  for (const auto& file : report.value("files", nlohmann::json::array())) {
    EXPECT_TRUE(std::filesystem::exists(run_dir / file.get<std::string>()))
        << "report.json names " << file << ", which is not there";
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(run_dir, ec)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos)
        << "temp file left behind: " << entry.path();
  }
}

// The server guest is gone with the run: its domain, its sockets and its export.
inline void expect_server_guest_gone(const std::filesystem::path& out,
                                     const nlohmann::json& report) {
  ASSERT_EQ(report["server"]["guests"].size(), 1u) << report["server"].dump(2);
  const nlohmann::json& guest = report["server"]["guests"][0];
  auto backend = vm::LibvirtBackend::connect();
  ASSERT_TRUE(backend.ok()) << backend.error().message();
  auto domains = (*backend)->list_wedge_domains();
  ASSERT_TRUE(domains.ok());
  EXPECT_EQ(std::count(domains->begin(), domains->end(), guest["name"].get<std::string>()), 0)
      << "leftover server guest " << guest["name"];
  for (const char* file : {"agent.sock", "agent.gate-in.sock", "agent.gate-out.sock"}) {
    EXPECT_FALSE(std::filesystem::exists(out / "server" / file))
        << "server/" << file << " left behind";
  }
  EXPECT_TRUE(std::filesystem::exists(out / "server" / "console.log"));
}

// Starts `wedge ARGS` in the background with its stdout and stderr in log.
inline ChildProcess start_wedge(const std::vector<std::string>& args,
                                const std::filesystem::path& log) {
  std::vector<std::string> argv = {WEDGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions options;
  options.stdout_path = log;
  auto child = ChildProcess::spawn(argv, options);
  EXPECT_TRUE(child.ok()) << child.error().message();
  return std::move(*child);
}

// Waits until log holds needle (true) or timeout passes (false).
inline bool wait_for_output(const std::filesystem::path& log, const std::string& needle,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = read_file(log);
    if (text.ok() && text->find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// The run id a `wedge run` printed first ("run 20261125-140312-3fa2 -> /dir").
inline std::string run_id_in(const std::filesystem::path& log) {
  auto text = read_file(log);
  if (!text.ok()) return "";
  size_t at = text->find("] run ");
  if (at == std::string::npos) return "";
  size_t start = at + 6;
  return text->substr(start, text->find(' ', start) - start);
}

// The QEMU process of a run's guest, or -1.
inline pid_t qemu_pid_of(const std::string& run_id) {
  for (const auto& pid_line : processes_mentioning("guest=wedge-" + run_id + ",")) {
    return static_cast<pid_t>(std::stol(pid_line.substr(0, pid_line.find(':'))));
  }
  return -1;
}

// A fresh temporary directory per test, for run directories and scenario files.
class TempDirTest : public ::testing::Test {
 public:
  void SetUp() override {
    auto d = TempDir::create("wedge-run-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
    // A user's run folder must be reachable by the unprivileged QEMU and storage users.
    std::filesystem::permissions(dir_->path(), std::filesystem::perms(0755));
  }
  std::filesystem::path dir() const { return dir_->path(); }
  // Writes a scenario file NAME.toml into the test's directory.
  std::filesystem::path write_scenario(const std::string& name, const std::string& text) {
    std::filesystem::path p = dir() / (name + ".toml");
    EXPECT_TRUE(write_file_atomic(p, text).ok());
    return p;
  }

 private:
  std::unique_ptr<TempDir> dir_;
};

struct WedgeRun {
  ExitStatus status;
  std::string out;
  std::string err;
};

inline WedgeRun run_wedge(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {WEDGE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_command(argv, timeout);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return {};
  return {r->status, r->out, r->err};
}

// What the guest's own samples (samples.jsonl) say about swap once it was on.
struct SwapSeen {
  int samples = 0;           // samples with swap on
  uint64_t total_kb = 0;     // SwapTotal
  uint64_t max_used_kb = 0;  // the most SwapTotal - SwapFree seen
};

inline SwapSeen swap_seen(const std::filesystem::path& run_dir) {
  SwapSeen seen;
  std::ifstream samples(run_dir / "samples.jsonl");
  std::string line;
  while (std::getline(samples, line)) {
    nlohmann::json s = nlohmann::json::parse(line)["sample"];
    uint64_t swap_free = s["swap_free_kb"], swap_total = s["swap_total_kb"];
    if (swap_total == 0) continue;  // before swapon
    seen.samples++;
    seen.total_kb = swap_total;
    seen.max_used_kb = std::max(seen.max_used_kb, swap_total - swap_free);
  }
  return seen;
}

// When swap I/O moved again after t_s (a fault's stop_s), from the guest's samples: the time of
// the first later sample whose pswpin + pswpout grew; -1 if it never did.
inline double swap_io_resumed_after(const std::filesystem::path& run_dir, double t_s) {
  std::ifstream samples(run_dir / "samples.jsonl");
  std::string line;
  uint64_t before = 0;
  while (std::getline(samples, line)) {
    nlohmann::json j = nlohmann::json::parse(line);
    uint64_t io = j["sample"]["pswpin"].get<uint64_t>() + j["sample"]["pswpout"].get<uint64_t>();
    if (j["t_s"].get<double>() <= t_s) {
      before = io;
    } else if (io > before) {
      return j["t_s"].get<double>();
    }
  }
  return -1;
}

// A finding's during_fault: report.json writes the key only when it is true.
inline bool during_fault(const nlohmann::json& finding) {
  return finding.value("during_fault", false);
}

// True when the guest's agent supplied the blocked tasks' stacks: from its own /proc scan
// ("agent"), or, when that scan itself blocked in reclaim (each read of /proc/PID/stack
// allocates in the kernel; seen with swap stuck on NFS), from the sysrq-w it wrote to the
// kernel ("agent-sysrq"), whose dump wedge read off the console.
inline bool agent_gave_stacks(const nlohmann::json& finding) {
  auto routes = finding["routes"].get<std::vector<std::string>>();
  return std::find(routes.begin(), routes.end(), "agent") != routes.end() ||
         std::find(routes.begin(), routes.end(), "agent-sysrq") != routes.end();
}

// Expects one server-stall fault of about 30 s in report.json (the run loop may end it a few
// seconds late on a loaded host) and a hang found while it lasted; returns the first such
// finding (null, after a test failure, when there is none).
//   nlohmann::json hang = expect_hang_during_30s_stall(report);
inline nlohmann::json expect_hang_during_30s_stall(const nlohmann::json& report) {
  nlohmann::json hang;
  EXPECT_EQ(report["faults"].size(), 1u) << report["faults"].dump(2);
  if (report["faults"].empty()) return hang;
  const nlohmann::json& fault = report["faults"][0];
  EXPECT_EQ(fault["kind"], "server-stall");
  double stall_start = fault["start_s"], stall_stop = fault["stop_s"];
  EXPECT_GE(stall_stop - stall_start, 29.5) << "the stall was cut short";
  EXPECT_LT(stall_stop - stall_start, 40) << "the stall did not keep its duration";
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "hang" && hang.is_null()) hang = f;
  }
  EXPECT_FALSE(hang.is_null()) << "the stall was not detected as a hang";
  if (hang.is_null()) return hang;
  EXPECT_TRUE(during_fault(hang)) << hang.dump(2);
  double detected = hang["detected_s"];
  EXPECT_GT(detected, stall_start);
  EXPECT_LT(detected, stall_stop) << "hang found only after the server came back";
  return hang;
}

// For swap over a network stack that the stock kernel sometimes wedges at its first swap-out
// (seen over iSCSI and over MD RAID1 on NBD: tasks asleep in bio_alloc_bioset, MemFree ~1 MiB,
// vCPU halted): the run either passes, or wedge reports exactly that, a hang with the blocked
// tasks' stacks and exit 1. Anything else (infra error, crash, a hang without stacks) fails.
// Returns true when the run passed, so the caller checks the rest of a passing run.
inline bool passed_or_wedged_with_stacks(const ExitStatus& status, const nlohmann::json& report) {
  if (report["verdict"] == "pass") {
    EXPECT_EQ(status.code, 0);
    return true;
  }
  EXPECT_EQ(report["verdict"], "hang") << report.dump(2);
  EXPECT_EQ(status.code, 1);
  nlohmann::json hang;
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "hang" && hang.is_null()) hang = f;
  }
  EXPECT_FALSE(hang.is_null()) << report.dump(2);
  if (hang.is_null()) return false;
  EXPECT_FALSE(hang["stacks"].empty()) << "a wedged kernel without stacks: " << hang.dump(2);
  std::cout << "the kernel wedged (a finding, not a test failure): " << hang["title"] << "\n";
  return false;
}

// The same kernel finding before a scenario's fault ever started: the stock kernel sometimes
// wedges at its first swap-out over the network (tasks asleep in mempool_alloc /
// bio_alloc_bioset; seen on NBD, iSCSI and MD RAID1 over NBD). True when that is what the
// report says, checked as passed_or_wedged_with_stacks checks it (hang, exit 1, stacks); the
// test then has nothing of the fault left to check.
inline bool wedged_before_any_fault(const ExitStatus& status, const nlohmann::json& report) {
  if (report["verdict"] != "hang" || !report["faults"].empty()) return false;
  return !passed_or_wedged_with_stacks(status, report);
}

}  // namespace wedge::test
