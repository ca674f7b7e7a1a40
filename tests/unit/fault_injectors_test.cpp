// Unit tests for fault injectors over fakes (server control, balloon, memory.max), a real
// loopback relay, and nbdkit control files in a temp dir; and for the faults.jsonl lines.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "harness/faults/fault_log.h"
#include "harness/faults/injectors.h"
#include "harness/util/files.h"

namespace wedge::faults {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// A storage::Server that records what the injectors asked of it.
class FakeServer final : public storage::Server {
 public:
  explicit FakeServer(storage::TcpRelay* relay = nullptr) : relay_(relay) {}
  int guest_port() const override { return 0; }
  bool healthy() override { return true; }
  storage::ServerStats stats() const override { return {}; }
  std::string describe() const override { return "fake"; }
  Status stop() override { return ok_status(); }
  Status signal(int sig) override {
    calls.push_back(sig == SIGSTOP ? "SIGSTOP" : sig == SIGCONT ? "SIGCONT" : "other");
    return ok_status();
  }
  Status kill() override {
    calls.push_back("kill");
    return ok_status();
  }
  Status restart(milliseconds) override {
    calls.push_back("restart");
    if (fail_restart) return make_error("port in use");
    return ok_status();
  }
  storage::TcpRelay& relay() override { return *relay_; }
  const storage::NbdkitControls* nbdkit_controls() const override {
    return controls.filters.empty() ? nullptr : &controls;
  }
  fs::path log_path() const override { return {}; }

  std::vector<std::string> calls;
  bool fail_restart = false;
  storage::NbdkitControls controls;

 private:
  storage::TcpRelay* relay_;
};

config::FaultConfig fault(std::string kind, std::string via = "") {
  config::FaultConfig f;
  f.kind = *config::parse_fault_kind(kind);
  f.via = std::move(via);
  f.at_s = 1;
  f.duration_s = 5;
  return f;
}

std::unique_ptr<Injector> injector(const config::FaultConfig& f, const InjectorTargets& t) {
  auto i = make_injector(f, t);
  EXPECT_TRUE(i.ok()) << i.error().message();
  return i.ok() ? std::move(*i) : nullptr;
}

TEST(FaultInjectors, ServerFaultsCallTheServer) {
  FakeServer server;
  InjectorTargets t;
  t.servers = {&server};
  auto stall = injector(fault("server-stall", "signal"), t);
  ASSERT_TRUE(stall);
  EXPECT_EQ(stall->describe(), "server-stall via signal");
  ASSERT_TRUE(stall->start().ok());
  ASSERT_TRUE(stall->stop().ok());
  auto crash = injector(fault("server-crash"), t);
  ASSERT_TRUE(crash->start().ok());
  ASSERT_TRUE(crash->stop().ok());  // nothing to undo
  auto restart = injector(fault("server-restart"), t);
  ASSERT_TRUE(restart->start().ok());
  server.fail_restart = true;
  auto stopped = restart->stop();
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.error().message(), "server-restart: port in use");
  EXPECT_EQ(server.calls,
            (std::vector<std::string>{"SIGSTOP", "SIGCONT", "kill", "kill", "restart"}));
}

TEST(FaultInjectors, MissingTargetsAreErrors) {
  InjectorTargets t;
  auto i = make_injector(fault("server-stall", "signal"), t);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().message(), "server-stall via signal: no server to act on");
  i = make_injector(fault("delay"), t);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().message(), "delay: no relay to act on");
  i = make_injector(fault("error"), t);
  ASSERT_FALSE(i.ok());
  EXPECT_EQ(i.error().message(), "error: no nbdkit error filter to act on");
  auto all = make_injectors({fault("reset"), fault("balloon")}, t);
  ASSERT_FALSE(all.ok());
  EXPECT_EQ(all.error().message(), "fault 0: reset: no relay to act on");
}

TEST(FaultInjectors, RelayFaultsOverlapFieldByField) {
  auto relay = storage::TcpRelay::start(1);  // never dialled here
  ASSERT_TRUE(relay.ok()) << relay.error().message();
  FakeServer server(relay->get());
  InjectorTargets t;
  t.servers = {&server};
  config::FaultConfig delay = fault("delay");
  delay.set_param("delay_ms", 250);
  config::FaultConfig rate = fault("rate", "relay");
  rate.set_param("rate_kib_s", 64);
  auto d = injector(delay, t);
  auto r = injector(rate, t);
  auto b = injector(fault("blackhole"), t);
  auto s = injector(fault("server-stall", "relay"), t);
  ASSERT_TRUE(d->start().ok());
  ASSERT_TRUE(r->start().ok());
  ASSERT_TRUE(b->start().ok());
  ASSERT_TRUE(s->start().ok());
  storage::RelayFaults f = (*relay)->faults();
  EXPECT_EQ(f.delay, milliseconds(250));
  EXPECT_EQ(f.rate_bytes_per_s, 64u * 1024);
  EXPECT_TRUE(f.blackhole);
  EXPECT_TRUE(f.stall);
  ASSERT_TRUE(d->stop().ok());
  f = (*relay)->faults();
  EXPECT_EQ(f.delay, milliseconds(0));
  EXPECT_EQ(f.rate_bytes_per_s, 64u * 1024);
  ASSERT_TRUE(r->stop().ok());
  ASSERT_TRUE(b->stop().ok());
  ASSERT_TRUE(s->stop().ok());
  f = (*relay)->faults();
  EXPECT_FALSE(f.blackhole);
  EXPECT_FALSE(f.stall);
  EXPECT_EQ(f.rate_bytes_per_s, 0u);
  auto reset = injector(fault("reset"), t);
  EXPECT_TRUE(reset->start().ok());
  EXPECT_TRUE(reset->stop().ok());
}

TEST(FaultInjectors, NbdkitFiltersFollowTheFaults) {
  EXPECT_TRUE(storage::nbdkit_controls_for({fault("server-stall", "signal"), fault("delay")}, "/r")
                  .filters.empty());
  config::FaultConfig error = fault("error");
  error.set_param("error_rate", 0.5);
  storage::NbdkitControls s = storage::nbdkit_controls_for(
      {error, fault("rate", "nbdkit"), fault("server-stall", "pause"), error}, "/r");
  EXPECT_EQ(s.filters, (std::vector<std::string>{"pause", "rate", "error"}));
  EXPECT_EQ(s.params, (std::vector<std::string>{"pause-control=/r/nbdkit-control/pause.sock",
                                                "rate-file=/r/nbdkit-rate", "error-rate=0.5",
                                                "error-file=/r/nbdkit-error"}));
  EXPECT_EQ(s.pause_socket, "/r/nbdkit-control/pause.sock");
  EXPECT_EQ(s.rate_file, "/r/nbdkit-rate");
  EXPECT_EQ(s.error_file, "/r/nbdkit-error");
}

TEST(FaultInjectors, NbdkitRateAndErrorFiles) {
  auto dir = TempDir::create("wedge-faults-test");
  ASSERT_TRUE(dir.ok());
  FakeServer server;
  InjectorTargets t;
  t.servers = {&server};
  config::FaultConfig rate = fault("rate", "nbdkit");
  rate.set_param("rate_kib_s", 128);
  server.controls = storage::nbdkit_controls_for({rate, fault("error")}, dir->path());
  auto r = injector(rate, t);
  ASSERT_TRUE(r->start().ok());
  EXPECT_EQ(*read_file(server.controls.rate_file), "1048576\n");  // 128 KiB/s in bits/s
  ASSERT_TRUE(r->stop().ok());
  EXPECT_EQ(*read_file(server.controls.rate_file), "0\n");  // unlimited
  auto e = injector(fault("error"), t);
  EXPECT_FALSE(fs::exists(server.controls.error_file));
  ASSERT_TRUE(e->start().ok());
  EXPECT_TRUE(fs::exists(server.controls.error_file));
  ASSERT_TRUE(e->stop().ok());
  EXPECT_FALSE(fs::exists(server.controls.error_file));
}

TEST(FaultInjectors, PauseWithoutNbdkitFailsClearly) {
  auto dir = TempDir::create("wedge-faults-test");
  ASSERT_TRUE(dir.ok());
  FakeServer server;
  InjectorTargets t;
  t.servers = {&server};
  server.controls = storage::nbdkit_controls_for({fault("server-stall", "pause")}, dir->path());
  auto p = injector(fault("server-stall", "pause"), t);
  auto started = p->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(),
            fmt::format("server-stall via pause: sending 'p' to nbdkit pause control "
                        "{}/nbdkit-control/pause.sock: connect: No such file or directory",
                        dir->path().string()));
}

TEST(FaultInjectors, BalloonAndMemoryMaxSetAndRestore) {
  std::vector<std::string> calls;
  InjectorTargets t;
  t.set_balloon_mib = [&](int mib) {
    calls.push_back(fmt::format("balloon {}", mib));
    return ok_status();
  };
  t.guest_memory_mib = 256;
  t.set_memory_max = [&](std::optional<int> mib) {
    calls.push_back(mib ? fmt::format("memory.max {}M", *mib) : "memory.max max");
    return ok_status();
  };
  config::FaultConfig balloon = fault("balloon");
  balloon.set_param("balloon_mib", 128);
  config::FaultConfig memory_max = fault("memory-max");
  memory_max.set_param("memory_max_mib", 64);
  auto b = injector(balloon, t);
  auto m = injector(memory_max, t);
  ASSERT_TRUE(b->start().ok());
  ASSERT_TRUE(m->start().ok());
  ASSERT_TRUE(m->stop().ok());
  ASSERT_TRUE(b->stop().ok());
  EXPECT_EQ(calls, (std::vector<std::string>{"balloon 128", "memory.max 64M", "memory.max max",
                                             "balloon 256"}));
}

TEST(FaultLog, LinesAreJsonWithParams) {
  config::FaultConfig f = fault("server-stall", "signal");
  f.at_s = 20;
  f.duration_s = 30;
  EXPECT_EQ(fault_log_line(20.00449, 1763735001.5121, "start", 0, f),
            "{\"t_s\":20.004,\"unix_s\":1763735001.512,\"event\":\"start\",\"index\":0,"
            "\"kind\":\"server-stall\",\"params\":{\"at_s\":20.0,\"duration_s\":30.0,"
            "\"via\":\"signal\"}}");
  config::FaultConfig r;
  r.kind = config::FaultKind::kServerRestart;
  r.when = "swap_used_mib > 100";
  r.set_param("restart_after_s", 2);
  EXPECT_EQ(fault_params_json(r), "{\"when\":\"swap_used_mib > 100\",\"restart_after_s\":2.0}");

  auto dir = TempDir::create("wedge-faults-test");
  ASSERT_TRUE(dir.ok());
  FaultLog log(dir->path() / "faults.jsonl");
  ASSERT_TRUE(log.record_start(1.5, 0, f).ok());
  ASSERT_TRUE(log.record_error(2.5, 1, r, "stop", make_error("restarting: boom")).ok());
  ASSERT_TRUE(log.record_stop(31.5, 0, f).ok());
  auto text = read_file(log.path());
  ASSERT_TRUE(text.ok());
  std::vector<nlohmann::json> lines;
  size_t start = 0;
  for (size_t nl; (nl = text->find('\n', start)) != std::string::npos; start = nl + 1) {
    lines.push_back(nlohmann::json::parse(text->substr(start, nl - start)));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(lines[1]["event"], "error");
  EXPECT_EQ(lines[1]["action"], "stop");
  EXPECT_EQ(lines[1]["error"], "restarting: boom");
  EXPECT_EQ(lines[1]["kind"], "server-restart");
  EXPECT_EQ(lines[2]["event"], "stop");
  EXPECT_EQ(lines[2]["t_s"], 31.5);
  EXPECT_GT(lines[2]["unix_s"].get<double>(), 1.7e9);
}

}  // namespace
}  // namespace wedge::faults
