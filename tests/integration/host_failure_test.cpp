// Issue 9 on real guests: the host failing under a run is an infra error (exit 125) naming
// what happened, never a kernel verdict; a libvirtd restart leaves the run going; SIGINT ends
// every phase within 5 s with nothing left; a SIGKILLed wedge's leftovers go with the next run.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "tests/integration/private_libvirtd.h"
#include "tests/integration/run_helpers.h"

namespace wedge::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

// A command workload that lasts `seconds`, printing a line a second: long enough for a test
// to break something under it, with nothing kernel-side to blame.
std::string ticking_scenario(int seconds) {
  return fmt::format(R"(
[workload]
kind = "command"
argv = ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt {} ]; do echo tick $i; /bin/busybox sleep 1; i=$((i+1)); done"]
[limits]
duration_s = 600
)",
                     seconds);
}

class HostFailureTest : public TempDirTest {
 public:
  fs::path scenario(const std::string& name, const std::string& text) {
    fs::path p = dir() / (name + ".toml");
    EXPECT_TRUE(write_file_atomic(p, text).ok());
    return p;
  }
  // Starts `wedge run SCENARIO --out dir()/run` and waits for `marker` in its output.
  ChildProcess start_run(const fs::path& scenario_file, const std::string& marker,
                         std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"run", scenario_file.string(), "--out", out().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess child = start_wedge(args, log());
    EXPECT_TRUE(wait_for_output(log(), marker, 600s)) << "no '" << marker << "' in " << log_text();
    return child;
  }
  fs::path out() const { return dir() / "run"; }
  fs::path log() const { return dir() / "wedge.log"; }
  std::string log_text() const {
    auto text = read_file(log());
    return text.ok() ? *text : "";
  }
  // Waits for wedge to end; returns its exit code (-1 if it did not end in time).
  int exit_code(ChildProcess& child, std::chrono::milliseconds timeout) {
    auto status = child.wait_for(timeout);
    if (!status) {
      child.stop(0ms);
      return -1;
    }
    return status->code;
  }
  json report() const { return load_json(out() / "report.json"); }
};

// Prints what a run reported, for the table of injected failures in the issue.
void print_outcome(const std::string& what, const json& r) {
  std::printf("injected: %s -> verdict %s, exit %d, reason: %s\n", what.c_str(),
              r.value("verdict", "?").c_str(), r.value("exit_code", -1),
              r.value("reason", "").c_str());
}

// Issue proof: QEMU killed from outside (the host's OOM killer, an admin) mid-run.
TEST_F(HostFailureTest, QemuKilledMidRunIsInfraErrorNamingIt) {
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(120)), "workload:");
  pid_t qemu = qemu_pid_of(run_id_in(log()));
  ASSERT_GT(qemu, 0) << log_text();
  ASSERT_EQ(::kill(qemu, SIGKILL), 0);
  EXPECT_EQ(exit_code(wedge, 60s), 125) << log_text();
  json r = report();
  print_outcome("QEMU SIGKILLed mid-run", r);
  EXPECT_EQ(r["verdict"], "infra_error");
  const std::string why = r["infra_error"];
  EXPECT_NE(why.find("QEMU ended without the guest shutting down"), std::string::npos) << why;
  EXPECT_NE(why.find("shutoff (crashed)"), std::string::npos) << why;
  EXPECT_TRUE(r["findings"].empty()) << r["findings"].dump(2);
  expect_nothing_leaked(out());
}

// A QEMU stopped from outside (SIGSTOP) freezes the guest: that is no kernel hang.
TEST_F(HostFailureTest, QemuStoppedMidRunIsInfraErrorNotAHang) {
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(120)), "workload:");
  pid_t qemu = qemu_pid_of(run_id_in(log()));
  ASSERT_GT(qemu, 0) << log_text();
  ASSERT_EQ(::kill(qemu, SIGSTOP), 0);
  EXPECT_EQ(exit_code(wedge, 60s), 125) << log_text();
  ::kill(qemu, SIGCONT);
  json r = report();
  print_outcome("QEMU SIGSTOPped mid-run", r);
  EXPECT_EQ(r["verdict"], "infra_error");
  const std::string why = r["infra_error"];
  EXPECT_NE(why.find(fmt::format("QEMU (pid {}) was stopped from outside", qemu)),
            std::string::npos)
      << why;
  expect_nothing_leaked(out());
}

// The storage server killed by something other than a scheduled fault.
TEST_F(HostFailureTest, StorageServerKilledOutsideAFaultIsInfraError) {
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(120)), "workload:");
  auto servers = processes_mentioning(out().string() + "/nbd-server.conf");
  ASSERT_FALSE(servers.empty()) << "no nbd-server for " << out();
  pid_t server = static_cast<pid_t>(std::stol(servers.front()));
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  EXPECT_EQ(exit_code(wedge, 120s), 125) << log_text();
  json r = report();
  print_outcome("nbd-server SIGKILLed outside a fault", r);
  EXPECT_EQ(r["verdict"], "infra_error");
  const std::string why = r["infra_error"];
  EXPECT_NE(why.find("the storage server nbd-server"), std::string::npos) << why;
  EXPECT_NE(why.find("while no fault was scheduled"), std::string::npos) << why;
  EXPECT_NE(why.find("its process: killed by SIGKILL"), std::string::npos) << why;
  expect_nothing_leaked(out());
}

// Issue proof: libvirtd restarted mid-run. The guest is not tied to wedge's connection, so it
// survives; wedge reconnects and the run goes on to its own verdict. Never exit 1.
TEST_F(HostFailureTest, LibvirtdRestartedMidRunGoesOn) {
  PrivateLibvirtd daemon(dir() / "libvirt");
  ASSERT_TRUE(daemon.start().ok());
  ::setenv("WEDGE_LIBVIRT_URI", daemon.uri().c_str(), 1);
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(45)), "workload:");
  std::this_thread::sleep_for(3s);
  auto stopped = daemon.stop_libvirtd(SIGTERM, 120s);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message();
  std::this_thread::sleep_for(3s);  // wedge notices the daemon is gone
  auto restarted = daemon.start_libvirtd();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  int code = exit_code(wedge, 300s);
  json r = report();
  print_outcome("libvirtd SIGTERMed and restarted mid-run", r);
  EXPECT_EQ(code, 0) << log_text();
  EXPECT_EQ(r["verdict"], "pass") << r.dump(2);
  std::string events = r["host_events"].dump();
  EXPECT_NE(events.find("libvirt unreachable"), std::string::npos) << events;
  EXPECT_NE(events.find("libvirt reachable again"), std::string::npos) << events;
  expect_nothing_leaked(out());
  ::unsetenv("WEDGE_LIBVIRT_URI");
}

// Issue proof: SIGINT during the image build (a cold cache: the kernel download) ends within
// 5 s, says so, and leaves no temp dir in the cache or in /tmp.
TEST_F(HostFailureTest, SigintDuringImageBuildExitsWithin5sLeavingNothing) {
  fs::path cache = dir() / "cache";
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(5)), "preparing guest image",
                                 {"--cache", cache.string()});
  std::this_thread::sleep_for(1500ms);
  auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(wedge.pid(), SIGINT), 0);
  EXPECT_EQ(exit_code(wedge, 30s), 125) << log_text();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 5s);
  json r = report();
  print_outcome("SIGINT during image build", r);
  EXPECT_EQ(r["interrupted"]["signal"], "SIGINT") << r.dump(2);
  EXPECT_EQ(r["interrupted"]["phase"], "image build") << r.dump(2);
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(cache, ec)) {
    std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with(".build-") || name.starts_with(".fetch-") ||
                 name.starts_with(".resolve"))
        << "left behind: " << entry.path();
  }
  const std::string mark = fmt::format(".{}.", wedge.pid());
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path())) {
    std::string name = entry.path().filename().string();
    EXPECT_FALSE(name.starts_with("wedge") && name.find(mark) != std::string::npos)
        << "left behind: " << entry.path();
  }
  expect_nothing_leaked(out());
}

// Issue proof: SIGINT while the guest boots.
TEST_F(HostFailureTest, SigintDuringBootExitsWithin5sLeavingNothing) {
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(5)), "booting wedge-");
  auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(wedge.pid(), SIGINT), 0);
  EXPECT_EQ(exit_code(wedge, 30s), 125) << log_text();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 5s);
  json r = report();
  print_outcome("SIGINT during boot", r);
  EXPECT_EQ(r["interrupted"]["phase"], "boot") << r.dump(2);
  EXPECT_NE(r["infra_error"].get<std::string>().find("interrupted by SIGINT during boot"),
            std::string::npos);
  expect_nothing_leaked(out());
}

// Issue proof: SIGINT while traces of a hang are collected (the server stalled under swap).
TEST_F(HostFailureTest, SigintDuringTraceCollectionExitsWithin5sLeavingNothing) {
  fs::path s = scenario("stall", R"(
[workload]
size_mib = 500
[[fault]]
kind = "server-stall"
at_s = 3
duration_s = 300
[limits]
stall_s = 5
duration_s = 600
)");
  ChildProcess wedge = start_run(s, "collecting traces");
  auto sent = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(wedge.pid(), SIGINT), 0);
  EXPECT_EQ(exit_code(wedge, 30s), 125) << log_text();
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 5s);
  json r = report();
  print_outcome("SIGINT during trace collection", r);
  EXPECT_EQ(r["interrupted"]["phase"], "traces") << r.dump(2);
  EXPECT_FALSE(r["findings"].empty()) << "the hang found before the signal is kept";
  expect_nothing_leaked(out());
}

// Issue proof: wedge SIGKILLed mid-run, then a new `wedge run`: the new run removes the dead
// run's guest, server and export image (its owner is dead), and touches nothing live.
TEST_F(HostFailureTest, SigkillThenNewRunLeavesNothingBehind) {
  ChildProcess wedge = start_run(scenario("tick", ticking_scenario(120)), "workload:");
  const std::string run_id = run_id_in(log());
  ASSERT_EQ(::kill(wedge.pid(), SIGKILL), 0);
  ASSERT_TRUE(wedge.wait_for(10s).ok());
  EXPECT_TRUE(fs::exists(out() / "export.img")) << "nothing to reap: the test proves nothing";

  WedgeRun dry = run_wedge({"gc", "--dry-run"}, 60s);
  EXPECT_NE(dry.out.find("would remove guest wedge-" + run_id), std::string::npos) << dry.out;

  // The next run fails fast (no such server), after reaping.
  fs::path next = scenario("next",
                           "[storage]\nserver_binary = \"/nonexistent/nbd-server\"\n"
                           "[workload]\n");
  WedgeRun r = run_wedge({"run", next.string(), "--out", (dir() / "next").string()}, 300s);
  EXPECT_EQ(r.status.code, 125) << r.out << r.err;
  json nr = load_json(dir() / "next" / "report.json");
  std::string events = nr["host_events"].dump();
  EXPECT_NE(events.find("removed leftover guest wedge-" + run_id), std::string::npos) << events;
  EXPECT_NE(events.find((out() / "export.img").string()), std::string::npos) << events;

  auto backend = vm::LibvirtBackend::connect();
  ASSERT_TRUE(backend.ok());
  auto domains = (*backend)->list_wedge_domains();
  ASSERT_TRUE(domains.ok());
  EXPECT_EQ(std::count(domains->begin(), domains->end(), "wedge-" + run_id), 0);
  EXPECT_TRUE(processes_mentioning(out().string()).empty());
  for (const char* file : {"export.img", "agent.sock", "agent.gate-in.sock"}) {
    EXPECT_FALSE(fs::exists(out() / file)) << file;
  }
  EXPECT_FALSE(fs::exists(fs::path("/run/wedge/runs") / (run_id + ".json")));
}

// Issue proof: a symlink planted in --out is refused and what it points to is unchanged, with
// --force too (wedge removes the link, never follows it).
TEST_F(HostFailureTest, PlantedSymlinkInOutIsRefusedAndItsTargetUnchanged) {
  ASSERT_TRUE(write_file_atomic(dir() / "victim", "precious\n").ok());
  fs::create_directory(out());
  fs::create_symlink(dir() / "victim", out() / "export.img");
  fs::path s = scenario("quick",
                        "[storage]\nserver_binary = \"/nonexistent/nbd-server\"\n"
                        "[workload]\n");
  WedgeRun refused = run_wedge({"run", s.string(), "--out", out().string()}, 60s);
  EXPECT_EQ(refused.status.code, 2);
  EXPECT_NE(refused.err.find("is not empty"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(out() / "report.json"));

  WedgeRun forced = run_wedge({"run", s.string(), "--out", out().string(), "--force"}, 300s);
  EXPECT_EQ(forced.status.code, 125) << forced.out << forced.err;
  EXPECT_FALSE(fs::is_symlink(out() / "export.img"));
  EXPECT_EQ(*read_file(dir() / "victim"), "precious\n");
  EXPECT_EQ(fs::file_size(dir() / "victim"), 9u);
}

// QEMU and the storage servers run as unprivileged users: an --out they cannot enter (below a
// 0700 folder, like a home) is refused before anything starts, naming the folder in the way.
TEST_F(HostFailureTest, OutDirTheUnprivilegedServicesCannotReachIsRefused) {
  fs::path closed = dir() / "closed";
  fs::create_directory(closed);
  fs::permissions(closed, fs::perms(0700));
  fs::path s = scenario("quick", "[workload]\n");
  WedgeRun refused = run_wedge({"run", s.string(), "--out", (closed / "run").string()}, 60s);
  EXPECT_EQ(refused.status.code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("cannot reach it: " + closed.string() + " is mode 0700"),
            std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(closed / "run"));
}

// Issue proof: a guest command cannot reach a host loopback service that is not its run's
// server (nor slirp's DNS, nor the outside); its own server still carries its swap.
TEST_F(HostFailureTest, GuestReachesOnlyItsOwnServers) {
  // A service on the host's loopback that the guest must not reach.
  SpawnOptions to_file;
  to_file.stdout_path = dir() / "listener.out";
  auto listener = ChildProcess::spawn({"python3", "-c",
                                       "import socket,sys\n"
                                       "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(5)\n"
                                       "print(s.getsockname()[1], flush=True)\n"
                                       "c,_=s.accept(); print('CONNECTED', flush=True)\n"},
                                      to_file);
  ASSERT_TRUE(listener.ok());
  ASSERT_TRUE(wait_for_output(dir() / "listener.out", "\n", 10s));
  int port = std::stoi(*read_file(dir() / "listener.out"));
  fs::path s = scenario("net", fmt::format(R"(
[workload]
kind = "command"
argv = ["/bin/busybox", "sh", "-c", "for t in 10.0.2.2:{} 10.0.2.3:53 10.0.2.2:22 93.184.216.34:80; do if echo x | /bin/busybox nc -w 5 ${{t%:*}} ${{t#*:}}; then echo REACHED $t; exit 1; fi; echo blocked $t; done; echo ALL-BLOCKED"]
[limits]
duration_s = 600
)",
                                           port));
  WedgeRun r = run_wedge({"run", s.string(), "--out", out().string(), "-q"}, 600s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json rep = report();
  print_outcome("guest dials a foreign host loopback service", rep);
  EXPECT_EQ(rep["verdict"], "pass") << rep.dump(2);
  auto workload = read_file(out() / "workload.log");
  ASSERT_TRUE(workload.ok());
  EXPECT_NE(workload->find("ALL-BLOCKED"), std::string::npos) << *workload;
  EXPECT_EQ(workload->find("REACHED"), std::string::npos) << *workload;
  EXPECT_GT(rep["network"]["dropped_frames"].get<uint64_t>(), 0u);
  EXPECT_GT(rep["network"]["passed_frames"].get<uint64_t>(), 0u) << "the run's own server";
  EXPECT_EQ(read_file(dir() / "listener.out")->find("CONNECTED"), std::string::npos)
      << "the guest reached the host's loopback service on port " << port;
  listener->stop(0ms);
  expect_nothing_leaked(out());
}

// Issue proof (CI length; tests/bench/flood_bench.sh is the 10-minute one): a guest flooding its
// console and its workload output at once keeps wedge under 64 MiB RSS, and the verdict is the
// workload's (pass).
TEST_F(HostFailureTest, FloodingGuestStaysWithinTheMemoryBound) {
  fs::path s = scenario("flood", R"(
[workload]
kind = "command"
argv = ["/bin/busybox", "sh", "-c", "/bin/busybox timeout 45 /bin/busybox yes CONSOLE-FLOOD-0123456789abcdefghijklmnopqrstuvwxyz > /dev/console & /bin/busybox timeout 45 /bin/busybox yes OUTPUT-FLOOD-0123456789abcdefghijklmnopqrstuvwxyz; wait; echo flood-over"]
[limits]
duration_s = 600
)");
  WedgeRun r = run_wedge({"run", s.string(), "--out", out().string(), "-q"}, 900s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json rep = report();
  EXPECT_EQ(rep["verdict"], "pass") << rep.dump(2);
  uint64_t rss_kib = rep["harness"]["peak_rss_kib"];
  EXPECT_LT(rss_kib, 64u * 1024) << "wedge's peak RSS";
  EXPECT_GT(fs::file_size(out() / "workload.log"), 1u << 20) << "the guest did not flood";
  EXPECT_GT(rep["console"]["bytes"].get<uint64_t>(), 1u << 20) << "the console was not flooded";
  std::printf("flood: wedge peak RSS %.1f MiB, workload.log %.1f MiB, console %.1f MiB\n",
              static_cast<double>(rss_kib) / 1024,
              static_cast<double>(fs::file_size(out() / "workload.log")) / (1 << 20),
              static_cast<double>(rep["console"]["bytes"].get<uint64_t>()) / (1 << 20));
  expect_nothing_leaked(out());
}

// The run directory's disk fills up under the export image: the guest's I/O errors are the
// host's doing, exit 125 with the reason.
TEST_F(HostFailureTest, RunDirectoryDiskFullIsInfraError) {
  fs::path small = dir() / "small";
  fs::create_directory(small);
  auto mounted =
      run_checked({"mount", "-t", "tmpfs", "-o", "size=160m", "tmpfs", small.string()}, 30s);
  ASSERT_TRUE(mounted.ok()) << mounted.error().message();
  fs::path run = small / "run";
  WedgeRun r = run_wedge({"run", "nbd-swap-hog", "--out", run.string(), "-q"}, 900s);
  EXPECT_EQ(r.status.code, 125) << r.out << r.err;
  json rep = load_json(run / "report.json");
  print_outcome("run directory on a full 160 MiB tmpfs", rep);
  EXPECT_EQ(rep["verdict"], "infra_error") << rep.dump(2);
  const std::string why = rep.value("infra_error", "");
  EXPECT_TRUE(why.find("is full") != std::string::npos ||
              why.find("No space left on device") != std::string::npos)
      << why;
  fs::copy(run / "report.json", dir() / "disk-full-report.json");
  (void)run_command({"umount", small.string()}, 30s);
}

}  // namespace
}  // namespace wedge::test
