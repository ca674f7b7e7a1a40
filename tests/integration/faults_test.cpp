// Fault injectors against real NBD servers (nbd-server and nbdkit) behind the relay, with
// qemu-io as the client: stalls freeze a read until resume, a restarted server serves what was
// written before the crash on the same relay port, nbdkit's error and rate filters switch at
// run time, relay delay slows a read and a blackhole makes it time out. Prints the timings.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "harness/faults/injectors.h"
#include "harness/storage/nbd_server.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::faults {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kExportSize = 64 << 20;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<std::string> qemu_io(int port, const std::string& command) {
  return {"qemu-io", "-f", "raw", fmt::format("nbd://127.0.0.1:{}/wedge", port), "-c", command};
}

// A qemu-io run and how long it took.
struct Timed {
  Result<CommandOutput> output;
  double seconds;
};

Timed timed_qemu_io(int port, const std::string& command, milliseconds timeout = seconds(30)) {
  auto start = Clock::now();
  auto out = run_command(qemu_io(port, command), timeout);
  return {std::move(out), seconds_since(start)};
}

// The fastest of `tries` runs (the first failure is returned as it is): qemu-io's own start
// takes up to a second beside two TCG guests, noise that only ever adds time.
Timed fastest_qemu_io(int port, const std::string& command, int tries) {
  Timed best = timed_qemu_io(port, command);
  for (int i = 1; i < tries && best.output.ok(); ++i) {
    Timed next = timed_qemu_io(port, command);
    if (!next.output.ok() || next.seconds < best.seconds) best = std::move(next);
  }
  return best;
}

bool succeeded(const Timed& t, const std::string& expect) {
  return t.output.ok() && t.output->status.success() &&
         t.output->out.find(expect) != std::string::npos &&
         t.output->out.find("failed") == std::string::npos;
}

std::string describe(const Timed& t) {
  if (!t.output.ok()) return t.output.error().message();
  return fmt::format("{} / out: {} / err: {}", t.output->status.describe(), t.output->out,
                     t.output->err);
}

config::FaultConfig fault(std::string kind, std::string via = "") {
  config::FaultConfig f;
  f.kind = *config::parse_fault_kind(kind);
  f.via = std::move(via);
  f.at_s = 0;
  f.duration_s = 1;
  return f;
}

// One server for the faults given: nbdkit gets the filters they need.
class FaultsTest : public ::testing::Test {
 protected:
  void start_server(const std::string& flavour, const std::vector<config::FaultConfig>& faults) {
    auto dir = TempDir::create("wedge-faultstest", "/tmp");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    // Reachable by the unprivileged storage user, as a run folder must be.
    fs::permissions(dir_->path(), fs::perms(0755));
    storage::NbdServerOptions o;
    o.flavour = flavour;
    o.export_file = dir_->path() / "export.img";
    o.size_bytes = kExportSize;
    o.work_dir = dir_->path() / "work";
    o.controls = storage::nbdkit_controls_for(faults, dir_->path());
    o.nbdkit_filters = o.controls.filters;
    o.nbdkit_params = o.controls.params;
    auto started = storage::NbdServer::start(o, seconds(10));
    ASSERT_TRUE(started.ok()) << started.error().message();
    server_ = std::move(*started);
    targets_.servers = {server_.get()};
    targets_.restart_timeout = seconds(10);
  }

  std::unique_ptr<Injector> injector(const config::FaultConfig& f) {
    auto i = make_injector(f, targets_);
    EXPECT_TRUE(i.ok()) << i.error().message();
    return i.ok() ? std::move(*i) : nullptr;
  }

  int port() const { return server_->guest_port(); }

  void TearDown() override {
    if (server_) {
      EXPECT_TRUE(server_->stop().ok());
    }
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<storage::NbdServer> server_;
  InjectorTargets targets_;
};

// server-stall: a read issued during the stall waits for it and completes after the resume.
void check_stall(const std::string& flavour, const std::string& via, int port, Injector& stall) {
  auto wrote = timed_qemu_io(port, "write -P 0x5a 0 1M");
  ASSERT_TRUE(succeeded(wrote, "wrote 1048576/1048576")) << describe(wrote);
  auto baseline = timed_qemu_io(port, "read -P 0x5a 0 1M");
  ASSERT_TRUE(succeeded(baseline, "read 1048576/1048576")) << describe(baseline);

  constexpr double kStallS = 2.0;
  // nbd-server starts its next process when a session ends: let it come up before the stall.
  std::this_thread::sleep_for(milliseconds(300));
  auto stalled = stall.start();
  ASSERT_TRUE(stalled.ok()) << stalled.error().message();
  auto stalled_at = Clock::now();
  Timed during{make_error("not run"), 0};
  std::thread reader([&] { during = timed_qemu_io(port, "read -P 0x5a 0 1M"); });
  std::this_thread::sleep_for(std::chrono::duration<double>(kStallS));
  auto resumed = stall.stop();
  double resumed_after = seconds_since(stalled_at);
  reader.join();
  ASSERT_TRUE(resumed.ok()) << resumed.error().message();
  EXPECT_TRUE(succeeded(during, "read 1048576/1048576")) << describe(during);
  EXPECT_GE(during.seconds, kStallS - 0.2);
  EXPECT_LT(during.seconds, kStallS + 5);
  std::cout << fmt::format(
      "{} stall via {}: baseline read {:.3f} s; read during a {:.1f} s stall took {:.3f} s "
      "(resumed after {:.3f} s)\n",
      flavour, via, baseline.seconds, kStallS, during.seconds, resumed_after);
}

TEST_F(FaultsTest, NbdServerStallViaSignalFreezesAReadUntilResume) {
  config::FaultConfig f = fault("server-stall", "signal");
  start_server("nbd-server", {f});
  auto stall = injector(f);
  ASSERT_TRUE(stall);
  check_stall("nbd-server", "signal", port(), *stall);
}

TEST_F(FaultsTest, NbdkitStallViaPauseFilterFreezesAReadUntilResume) {
  config::FaultConfig f = fault("server-stall", "pause");
  start_server("nbdkit", {f});
  auto stall = injector(f);
  ASSERT_TRUE(stall);
  check_stall("nbdkit", "pause", port(), *stall);
  EXPECT_TRUE(server_->healthy());  // paused, not stopped
}

TEST_F(FaultsTest, NbdkitStallViaSignalFreezesAReadUntilResume) {
  config::FaultConfig f = fault("server-stall", "signal");
  start_server("nbdkit", {f});
  auto stall = injector(f);
  ASSERT_TRUE(stall);
  check_stall("nbdkit", "signal", port(), *stall);
}

class RestartTest : public FaultsTest, public ::testing::WithParamInterface<std::string> {};

// server-restart: killed, the server refuses to serve (the relay stays up); restarted, a new
// connection through the same relay port sees what was written before the crash. A client
// that dials during the outage is held by the relay and served once the server is back.
TEST_P(RestartTest, RestartedServerServesDataWrittenBeforeTheCrash) {
  config::FaultConfig f = fault("server-restart");
  f.set_param("restart_after_s", 1);
  start_server(GetParam(), {f});
  const int guest_port = port();
  const int old_server_port = server_->server_port();
  auto wrote = timed_qemu_io(guest_port, "write -P 0xc3 8M 2M");
  ASSERT_TRUE(succeeded(wrote, "wrote 2097152/2097152")) << describe(wrote);

  auto restart = injector(f);
  ASSERT_TRUE(restart);
  ASSERT_TRUE(restart->start().ok());  // kill
  EXPECT_FALSE(server_->healthy());
  EXPECT_EQ(server_->pid(), -1);
  auto down = timed_qemu_io(guest_port, "read 0 4k", seconds(20));
  EXPECT_FALSE(succeeded(down, "read 4096/4096")) << describe(down);
  std::cout << fmt::format(
      "{} killed: a read failed after {:.3f} s (relay connect timeout {} ms)\n", GetParam(),
      down.seconds, storage::TcpRelay::kConnectTimeout.count());

  auto restart_start = Clock::now();
  auto restarted = restart->stop();
  double restart_s = seconds_since(restart_start);
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  EXPECT_TRUE(server_->healthy());
  EXPECT_EQ(server_->restarts(), 1u);
  EXPECT_EQ(port(), guest_port);
  auto read = timed_qemu_io(guest_port, "read -P 0xc3 8M 2M");
  EXPECT_TRUE(succeeded(read, "read 2097152/2097152")) << describe(read);
  std::cout << fmt::format(
      "{} restart took {:.3f} s (server port {} -> {}); read of pre-crash data {:.3f} s\n",
      GetParam(), restart_s, old_server_port, server_->server_port(), read.seconds);

  // A client dialling while the server is down is served once it is back (within the relay's
  // connect timeout): what a guest's nbd-client reconnect sees.
  ASSERT_TRUE(server_->kill().ok());
  Timed during{make_error("not run"), 0};
  std::thread reader([&] { during = timed_qemu_io(guest_port, "read -P 0xc3 8M 2M"); });
  std::this_thread::sleep_for(milliseconds(1000));
  ASSERT_TRUE(server_->restart(seconds(10)).ok());
  reader.join();
  EXPECT_TRUE(succeeded(during, "read 2097152/2097152")) << describe(during);
  std::cout << fmt::format("{}: read dialled during a 1 s outage completed in {:.3f} s\n",
                           GetParam(), during.seconds);
  auto log = fs::path(server_->log_path().string() + ".1");
  EXPECT_TRUE(fs::exists(log)) << log;
}

// The old port is taken while the server is down: it comes back on another and the relay
// follows, so the guest's port does not change.
TEST_P(RestartTest, RestartOnATakenPortRetargetsTheRelay) {
  start_server(GetParam(), {});
  auto wrote = timed_qemu_io(port(), "write -P 0x11 0 64k");
  ASSERT_TRUE(succeeded(wrote, "wrote 65536/65536")) << describe(wrote);
  const int old_port = server_->server_port();
  ASSERT_TRUE(server_->kill().ok());
  // Squat on the old port with a listener of our own (nbdkit, an unrelated program).
  auto squatter = ChildProcess::spawn({"nbdkit", "-f", "--exit-with-parent", "-i", "127.0.0.1",
                                       "-p", std::to_string(old_port), "null", "1M"});
  ASSERT_TRUE(squatter.ok()) << squatter.error().message();
  std::this_thread::sleep_for(milliseconds(500));
  ASSERT_TRUE(server_->restart(seconds(10)).ok());
  EXPECT_NE(server_->server_port(), old_port);
  EXPECT_EQ(server_->relay().target_port(), server_->server_port());
  auto read = timed_qemu_io(port(), "read -P 0x11 0 64k");
  EXPECT_TRUE(succeeded(read, "read 65536/65536")) << describe(read);
  squatter->stop();
}

INSTANTIATE_TEST_SUITE_P(Flavours, RestartTest, ::testing::Values("nbd-server", "nbdkit"),
                         [](const auto& flavour) {
                           return flavour.param == "nbd-server" ? "NbdServer" : "Nbdkit";
                         });

TEST_F(FaultsTest, NbdkitErrorFilterFailsReadsWhileActive) {
  config::FaultConfig f = fault("error");
  f.set_param("error_rate", 1);
  start_server("nbdkit", {f});
  auto error = injector(f);
  ASSERT_TRUE(error);
  auto before = timed_qemu_io(port(), "read 0 64k");
  ASSERT_TRUE(succeeded(before, "read 65536/65536")) << describe(before);
  ASSERT_TRUE(error->start().ok());
  auto failing = timed_qemu_io(port(), "read 0 64k");
  ASSERT_TRUE(failing.output.ok()) << describe(failing);
  EXPECT_NE(failing.output->out.find("read failed: Input/output error"), std::string::npos)
      << describe(failing);
  ASSERT_TRUE(error->stop().ok());
  auto after = timed_qemu_io(port(), "read 0 64k");
  EXPECT_TRUE(succeeded(after, "read 65536/65536")) << describe(after);
  std::cout << fmt::format(
      "nbdkit error: read ok {:.3f} s, failed in {:.3f} s, ok again {:.3f} s\n", before.seconds,
      failing.seconds, after.seconds);
}

TEST_F(FaultsTest, NbdkitRateFileSlowsReadsWhileActive) {
  config::FaultConfig f = fault("rate", "nbdkit");
  f.set_param("rate_kib_s", 512);
  start_server("nbdkit", {f});
  auto rate = injector(f);
  ASSERT_TRUE(rate);
  auto before = timed_qemu_io(port(), "read 0 2M");
  ASSERT_TRUE(succeeded(before, "read 2097152/2097152")) << describe(before);
  ASSERT_TRUE(rate->start().ok());
  std::this_thread::sleep_for(milliseconds(1200));  // the filter rereads its file
  auto limited = timed_qemu_io(port(), "read 0 2M");
  ASSERT_TRUE(succeeded(limited, "read 2097152/2097152")) << describe(limited);
  ASSERT_TRUE(rate->stop().ok());
  std::this_thread::sleep_for(milliseconds(1200));
  auto after = timed_qemu_io(port(), "read 0 2M");
  ASSERT_TRUE(succeeded(after, "read 2097152/2097152")) << describe(after);
  // 2 MiB at 512 KiB/s: about 4 s (less nbdkit's burst allowance).
  EXPECT_GT(limited.seconds, 1.5);
  EXPECT_LT(after.seconds, 1.5);
  std::cout << fmt::format(
      "nbdkit rate 512 KiB/s: 2 MiB read {:.3f} s before, {:.3f} s limited, "
      "{:.3f} s after\n",
      before.seconds, limited.seconds, after.seconds);
}

TEST_F(FaultsTest, RelayDelaySlowsAReadAndRateCapsIt) {
  config::FaultConfig delay = fault("delay");
  delay.set_param("delay_ms", 200);
  config::FaultConfig rate = fault("rate", "relay");
  rate.set_param("rate_kib_s", 1024);
  start_server("nbd-server", {delay, rate});
  // The baseline is the fastest of 3: beside two TCG guests one read once took 0.92 s.
  auto baseline = fastest_qemu_io(port(), "read 0 4k", 3);
  ASSERT_TRUE(succeeded(baseline, "read 4096/4096")) << describe(baseline);
  auto d = injector(delay);
  ASSERT_TRUE(d->start().ok());
  auto delayed = timed_qemu_io(port(), "read 0 4k");
  ASSERT_TRUE(d->stop().ok());
  EXPECT_TRUE(succeeded(delayed, "read 4096/4096")) << describe(delayed);
  // The handshake and the read take several round trips, each 2 x 200 ms slower.
  EXPECT_GT(delayed.seconds, baseline.seconds + 0.8);

  auto r = injector(rate);
  auto big = timed_qemu_io(port(), "read 0 4M");
  ASSERT_TRUE(r->start().ok());
  auto capped = timed_qemu_io(port(), "read 0 4M");
  ASSERT_TRUE(r->stop().ok());
  EXPECT_TRUE(succeeded(capped, "read 4194304/4194304")) << describe(capped);
  EXPECT_GT(capped.seconds, 3.0);  // 4 MiB at 1 MiB/s
  std::cout << fmt::format(
      "relay delay 200 ms: 4 KiB read {:.3f} s -> {:.3f} s; relay rate 1024 KiB/s: 4 MiB read "
      "{:.3f} s -> {:.3f} s\n",
      baseline.seconds, delayed.seconds, big.seconds, capped.seconds);
}

// nbd-server serves one session per process, and under a delay the last session's end reaches
// it late: the next client's connection waited in the backlog of the ending process and was
// reset ("Failed to read initial magic"), every second read. The relay now dials again.
TEST_F(FaultsTest, RelayDelayHoldsForEachOfSeveralConnectionsInARow) {
  config::FaultConfig delay = fault("delay");
  delay.set_param("delay_ms", 200);
  start_server("nbd-server", {delay});
  auto d = injector(delay);
  ASSERT_TRUE(d->start().ok());
  for (int i = 0; i < 3; ++i) {
    auto t = timed_qemu_io(port(), "read 0 4k");
    EXPECT_TRUE(succeeded(t, "read 4096/4096")) << "read " << i << ": " << describe(t);
    // The handshake and the read take several round trips, each 400 ms longer.
    EXPECT_GT(t.seconds, 0.8) << "read " << i;
  }
  ASSERT_TRUE(d->stop().ok());
}

TEST_F(FaultsTest, RelayBlackholeMakesAReadTimeOutAndResetDropsConnections) {
  config::FaultConfig blackhole = fault("blackhole");
  start_server("nbdkit", {blackhole});
  auto b = injector(blackhole);
  ASSERT_TRUE(b->start().ok());
  auto lost = timed_qemu_io(port(), "read 0 4k", seconds(3));
  ASSERT_FALSE(lost.output.ok()) << describe(lost);
  EXPECT_EQ(lost.output.error().message(), "qemu-io timed out after 3 s");
  EXPECT_GT(server_->relay().stats().bytes_dropped, 0u);
  ASSERT_TRUE(b->stop().ok());
  auto back = timed_qemu_io(port(), "read 0 4k");
  EXPECT_TRUE(succeeded(back, "read 4096/4096")) << describe(back);

  // reset: a client in the middle of a (stalled) read loses its connection at once.
  config::FaultConfig stall = fault("server-stall", "relay");
  auto s = injector(stall);
  auto reset = injector(fault("reset"));
  ASSERT_TRUE(s->start().ok());
  Timed cut{make_error("not run"), 0};
  std::thread reader([&] { cut = timed_qemu_io(port(), "read 0 4k", seconds(20)); });
  std::this_thread::sleep_for(milliseconds(500));
  auto reset_at = Clock::now();
  ASSERT_TRUE(reset->start().ok());
  reader.join();
  double after_reset = seconds_since(reset_at);
  ASSERT_TRUE(s->stop().ok());
  EXPECT_FALSE(succeeded(cut, "read 4096/4096")) << describe(cut);
  EXPECT_LT(after_reset, 5.0);
  std::cout << fmt::format(
      "relay blackhole: read timed out after {:.3f} s, {} bytes dropped; after stop a read took "
      "{:.3f} s; reset ended a stalled client {:.3f} s later\n",
      lost.seconds, server_->relay().stats().bytes_dropped, back.seconds, after_reset);
}

}  // namespace
}  // namespace wedge::faults
