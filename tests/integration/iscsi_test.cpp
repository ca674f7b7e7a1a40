// The iSCSI transport on real software: tgtd on the host serving a LUN through the relay (with
// qemu-io's libiscsi client), and the real `wedge` CLI swapping a real guest to that LUN, with
// and without tgtd stalled mid-swap. Checks what the guest and the server really did.
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>

#include "harness/storage/iscsi_initiator.h"
#include "harness/storage/tgtd_server.h"
#include "harness/util/path_access.h"
#include "tests/integration/builtin_scenario.h"
#include "tests/integration/proc_identity.h"
#include "tests/integration/run_helpers.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

std::vector<std::string> qemu_io(int port, const std::string& command) {
  return {"qemu-io", "-f",
          "raw",     fmt::format("iscsi://127.0.0.1:{}/{}/1", port, storage::iscsi_target_name(0)),
          "-c",      command};
}

bool qemu_io_ok(int port, const std::string& command, const std::string& expect) {
  auto out = run_command(qemu_io(port, command), 30s);
  EXPECT_TRUE(out.ok()) << out.error().message();
  if (!out.ok()) return false;
  EXPECT_TRUE(out->status.success()) << out->out << out->err;
  EXPECT_NE(out->out.find(expect), std::string::npos) << out->out << out->err;
  return out->status.success() && out->out.find(expect) != std::string::npos &&
         out->out.find("failed") == std::string::npos;
}

using IscsiTest = test::TempDirTest;

// The host side alone: the LUN takes writes through the relay, a restarted tgtd serves the
// same target and data on the same guest port, and stop() leaves no tgtd and no control socket.
TEST_F(IscsiTest, TgtdServesTheLunThroughTheRelayAcrossARestart) {
  storage::TgtdServerOptions o;
  o.export_file = dir() / "export.img";
  o.size_bytes = 64 << 20;
  o.work_dir = dir();
  o.target = storage::iscsi_target_name(0);
  auto server = storage::TgtdServer::start(o, 10s);
  ASSERT_TRUE(server.ok()) << server.error().message();
  storage::TgtdServer& tgtd = **server;
  const int port = tgtd.guest_port();
  EXPECT_NE(port, tgtd.server_port());
  EXPECT_EQ(tgtd.describe().rfind("tgtd 1.", 0), 0u) << tgtd.describe();
  const fs::path socket = tgtd.control_socket();
  EXPECT_TRUE(fs::exists(socket)) << socket;
  // Unprivileged: tgtd runs as the storage user with no capabilities and owns the export.
  auto user = find_account("wedge-storage");
  ASSERT_TRUE(user.ok()) << user.error().message();
  test::expect_runs_as(tgtd.pid(), user->uid, "0000000000000000");
  EXPECT_EQ(test::owner_of(o.export_file), user->uid);

  ASSERT_TRUE(qemu_io_ok(port, "write -P 0x5a 1M 1M", "wrote 1048576/1048576"));
  EXPECT_GE(tgtd.stats().bytes_from_guest, 1u << 20);
  EXPECT_GE(tgtd.stats().connections, 1u);

  ASSERT_TRUE(tgtd.restart(10s).ok());
  EXPECT_EQ(tgtd.guest_port(), port);
  EXPECT_TRUE(tgtd.healthy());
  EXPECT_TRUE(qemu_io_ok(port, "read -P 0x5a 1M 1M", "read 1048576/1048576"));

  pid_t pid = tgtd.pid();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(tgtd.stop().ok());
  EXPECT_FALSE(fs::exists(fmt::format("/proc/{}", pid))) << "tgtd outlived stop()";
  EXPECT_TRUE(test::processes_mentioning(dir().string()).empty());
  EXPECT_FALSE(fs::exists(socket)) << "control socket left behind";
}

// The suite's copies of iscsi-swap-hog and iscsi-server-stall take a 400 MiB hog (600 MiB in
// the built-in files): still well past the 256 MiB guest, in about half the time.
constexpr int64_t kHogMib = 400;
// The stall test proves detection and recovery, not capacity: its fault starts at 100 MiB of
// swap, and 300 MiB leaves the guest swapping well past that after the resume.
constexpr int64_t kStallHogMib = 300;

// Issue 7 proof: swap over iSCSI carries the hog in a 256 MiB guest.
TEST_F(IscsiTest, SwapHogSwapsOverIscsiAndPasses) {
  fs::path out = dir() / "run";
  auto started = std::chrono::steady_clock::now();
  test::WedgeRun r = test::run_wedge(
      {"run",
       test::builtin_with("iscsi-swap-hog", dir(), {{"workload.size_mib", kHogMib}}).string(),
       "--out", out.string()},
      700s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  json report = test::load_json(out / "report.json");
  // Issue 7: the image holds at or below the 13 MiB the NBD image had (iscsid and iscsiadm get
  // wedge's libcrypto and libsystemd stand-ins, vm-images/stand_ins.h).
  EXPECT_LE(report["image"]["pinned_bytes"].get<uint64_t>(), 13ull << 20);
  if (!test::passed_or_wedged_with_stacks(r.status, report)) {
    test::expect_nothing_leaked(out);
    return;
  }
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  EXPECT_EQ(report["guest"]["workload_progress_mib"], kHogMib);
  EXPECT_EQ(report["server"]["name"].get<std::string>().rfind("tgtd ", 0), 0u);
  EXPECT_GE(report["guest"]["swap_peak_mib"].get<double>(), 100);
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 100ull << 20);
  test::SwapSeen swap = test::swap_seen(out);
  ASSERT_GT(swap.samples, 3) << "too few samples with swap on";
  EXPECT_GE(swap.total_kb, 1000ull * 1024) << "swap device is not the 1 GiB iSCSI LUN";
  EXPECT_GE(swap.max_used_kb, 100ull * 1024);
  auto setup = read_file(out / "console.log");
  ASSERT_TRUE(setup.ok());
  EXPECT_NE(setup->find("Attached SCSI disk"), std::string::npos) << "no SCSI disk attached";
  std::cout << fmt::format(
      "iscsi-swap-hog: wall {:.1f} s, run {:.1f} s, swap peak {:.0f} MiB, tgtd took {} MiB, "
      "gave {} MiB, initrd {:.1f} MiB (pinned {:.1f} MiB)\n",
      took, report["timings"]["run_s"].get<double>(),
      report["guest"]["swap_peak_mib"].get<double>(),
      report["server"]["bytes_written"].get<uint64_t>() >> 20,
      report["server"]["bytes_read"].get<uint64_t>() >> 20,
      report["image"]["initrd_bytes"].get<uint64_t>() / 1048576.0,
      report["image"]["pinned_bytes"].get<uint64_t>() / 1048576.0);
  test::expect_nothing_leaked(out);
}

// Issue 7 proof: tgtd stopped for 30 s mid-swap is caught as a hang during the fault, with
// stacks from the guest's agent; once tgtd resumes the session comes back and the run passes.
// The stock kernel does not always come back: iscsid must log in again with almost no free
// memory (CI saw a writer stuck in __rq_qos_throttle 40 s after tgtd resumed). That is a
// kernel finding, and then wedge must report it as one: a hang after the stall, with the
// stuck task's frames, exit 1 (never infra, never a pass).
TEST_F(IscsiTest, TgtdStalledMidSwapIsCaughtWithStacksAndRecovers) {
  fs::path out = dir() / "run";
  test::WedgeRun r = test::run_wedge(
      {"run",
       test::builtin_with("iscsi-server-stall", dir(), {{"workload.size_mib", kStallHogMib}})
           .string(),
       "--out", out.string(), "-q"},
      700s);
  json report = test::load_json(out / "report.json");
  if (test::wedged_before_any_fault(r.status, report)) {
    test::expect_nothing_leaked(out);
    return;
  }
  const bool recovered = report["verdict"] == "pass";
  if (recovered) {
    EXPECT_EQ(r.status.code, 0) << r.out << r.err;
    EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  } else {
    EXPECT_EQ(report["verdict"], "hang") << report.dump(2);
    EXPECT_EQ(r.status.code, 1) << r.out << r.err;
  }
  ASSERT_EQ(report["faults"].size(), 1u);
  const json& fault = report["faults"][0];
  EXPECT_EQ(fault["kind"], "server-stall");
  ASSERT_FALSE(fault["stop_s"].is_null());
  double stall_start = fault["start_s"], stall_stop = fault["stop_s"];
  // The fault driver ends the stall from the run loop, a few seconds late on a loaded host
  // (34 s seen at load 17) while traces are collected.
  EXPECT_GE(stall_stop - stall_start, 29.5) << "the stall was cut short";
  EXPECT_LT(stall_stop - stall_start, 40) << "the stall did not keep its duration";

  // The hang found during the stall, the one traces were collected for.
  json hang;
  for (const auto& f : report["findings"]) {
    if (f["kind"] == "hang" && !f["traces_s"].is_null() && hang.is_null()) hang = f;
  }
  ASSERT_FALSE(hang.is_null()) << "the stall was not detected as a hang: " << report.dump(2);
  EXPECT_TRUE(test::during_fault(hang)) << hang.dump(2);
  double detected = hang["detected_s"];
  EXPECT_GT(detected, stall_start);
  EXPECT_LT(detected, stall_stop) << "hang found only after tgtd came back";
  ASSERT_FALSE(hang["stacks"].empty()) << "no blocked task stacks";
  auto routes = hang["routes"].get<std::vector<std::string>>();
  EXPECT_TRUE(test::agent_gave_stacks(hang))
      << "the agent gave no stacks, neither its scan nor its sysrq-w: " << hang.dump(2);

  if (!recovered) {
    json after;
    for (const auto& f : report["findings"]) {
      if (f["kind"] == "hang" && !test::during_fault(f) && !f["onset_s"].is_null() &&
          f["onset_s"].get<double>() > stall_stop && after.is_null()) {
        after = f;
      }
    }
    ASSERT_FALSE(after.is_null()) << "a hang verdict without a hang after the stall: "
                                  << report.dump(2);
    EXPECT_TRUE(!after["frames"].empty() || !after["stacks"].empty())
        << "the kernel's wedge after the stall came without the stuck task's frames: "
        << after.dump(2);
    std::cout << "the kernel did not recover after tgtd resumed (a finding, not a test "
                 "failure): "
              << after["title"] << "\n";
    test::expect_nothing_leaked(out);
    return;
  }

  // Recovery: swap I/O moves again soon after tgtd resumes (the initiator logs in again).
  double recovered_s = test::swap_io_resumed_after(out, stall_stop);
  ASSERT_GT(recovered_s, stall_stop) << "swap I/O never resumed after the stall";
  EXPECT_LT(recovered_s - stall_stop, 60) << "the session took too long to come back";
  EXPECT_GE(report["guest"]["swap_peak_mib"].get<double>(), 100);
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 100ull << 20);
  std::cout << fmt::format(
      "iscsi-server-stall: stall {:.1f}..{:.1f} s, hang detected after {:.1f} s, traces {:.1f} "
      "s later via {}, progress again {:.1f} s after tgtd resumed, run {:.1f} s\n",
      stall_start, stall_stop, detected - stall_start,
      hang["traces_s"].is_null() ? -1.0 : hang["traces_s"].get<double>() - detected,
      fmt::join(routes, ","), recovered_s - stall_stop, report["timings"]["run_s"].get<double>());
  test::expect_nothing_leaked(out);
}

}  // namespace
}  // namespace wedge
