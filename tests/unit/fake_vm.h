// A scripted fake vm::Instance for detector, monitor and whole-run tests: console bytes and
// agent frames become readable at given run times, host-side routes answer from a script, a
// ScriptedAgent (scripted_agent.h) may answer the host's requests, and the guest may stop (QEMU
// dies) or run an action (a signal to wedge) at a given time. FakeBackend hands one out.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/agent/messages.h"
#include "harness/vm/vm.h"
#include "tests/unit/scripted_agent.h"

namespace wedge::testing {

class FakeVm : public vm::Instance,
               public vm::Monitor,
               public vm::SerialLine,
               public vm::Balloon,
               public vm::VersionInfo {
 public:
  // Run time from *now_s (tests that step time themselves).
  explicit FakeVm(const double* now_s) : clock_([now_s] { return *now_s; }) {}
  // Run time from clock (whole runs, on the run's own clock).
  explicit FakeVm(std::function<double()> clock) : clock_(std::move(clock)) {}

  void console_at(double t, std::string bytes) { console_.push_back({t, std::move(bytes)}); }
  void agent_at(double t, const agent::Message& m) {
    agent_.push_back({t, agent::encode_message(m, seq_++)});
  }
  // Heartbeats every `every` seconds in [from, to).
  void heartbeats(double from, double to, double every = 0.5) {
    for (double t = from; t < to; t += every) {
      agent_at(t, agent::Heartbeat{++heartbeat_seq_, static_cast<uint64_t>(t * 1000)});
    }
  }
  // The host's requests are answered by agent from now on.
  void answer_with(ScriptedAgent* agent) { agent_script_ = agent; }
  // From run time t on the guest is in this state (QEMU killed: shut off, gone), and the agent
  // channel is closed.
  void stops_at(double t, vm::DomainStatus status) { stop_ = Stop{t, std::move(status)}; }
  // Runs action once, on the first console read at or after run time t.
  void at(double t, std::function<void()> action) { actions_.push_back({t, std::move(action)}); }

  // What `monitor_command(hmp)` prints.
  std::map<std::string, std::string> monitor_replies;
  // What the console prints when sysrq `key` arrives (by keyboard, serial line or agent).
  std::map<char, std::string> console_on_sysrq;
  std::vector<std::string> sent;  // frames written to the agent
  std::vector<char> sysrq_keys, serial_sysrq_keys;
  std::vector<int> balloon_mib;  // balloon targets set
  bool destroyed = false;
  std::function<void()> on_destroy;  // told when the run destroys the guest

  Result<std::string> read_console() override {
    double now = clock_();
    for (auto& a : actions_) {
      if (a.action && a.t <= now) std::exchange(a.action, nullptr)();
    }
    return drain(console_);
  }
  Result<std::string> read_agent() override {
    if (stopped()) return make_error("{}: agent channel closed", name_);
    return drain(agent_);
  }
  Status write_agent(const std::string& bytes) override {
    if (stopped()) return make_error("{}: agent channel closed", name_);
    sent.push_back(bytes);
    if (agent_script_ != nullptr) {
      size_t before = agent_script_->requests.size();
      for (auto& reply : agent_script_->answer(bytes, clock_())) agent_at(reply.t, reply.message);
      for (size_t i = before; i < agent_script_->requests.size(); ++i) {
        const auto& r = agent_script_->requests[i];
        if (r.type == agent_protocol::MsgType::kSysrq) sysrq(r.key);
      }
    }
    return ok_status();
  }
  Result<vm::DomainStatus> status() override {
    if (stopped()) return stop_->status;
    vm::DomainStatus s;
    s.state = destroyed ? vm::DomainState::kShutoff : vm::DomainState::kRunning;
    return s;
  }
  Status send_sysrq(char key) override {
    sysrq_keys.push_back(key);
    sysrq(key);
    return ok_status();
  }
  Status send_serial_sysrq(char key) override {
    serial_sysrq_keys.push_back(key);
    sysrq(key);
    return ok_status();
  }
  int serial_port() const override { return 0; }
  Result<std::string> monitor_command(const std::string& hmp) override {
    auto it = monitor_replies.find(hmp);
    if (it == monitor_replies.end()) return make_error("no scripted reply to {}", hmp);
    return it->second;
  }
  Status dump_memory(const std::filesystem::path&) override { return ok_status(); }
  Status inject_nmi() override { return ok_status(); }
  Status set_balloon_mib(int mib) override {
    balloon_mib.push_back(mib);
    return ok_status();
  }
  Status destroy() override {
    if (!destroyed && on_destroy) on_destroy();
    destroyed = true;
    return ok_status();
  }
  std::string qemu_version() const override { return "7.2.0"; }
  std::string libvirt_version() const override { return "9.0.0"; }
  const std::string& name() const override { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

 private:
  struct Timed {
    double t;
    std::string bytes;
  };
  struct Stop {
    double t;
    vm::DomainStatus status;
  };
  struct Action {
    double t;
    std::function<void()> action;
  };
  bool stopped() const { return stop_ && stop_->t <= clock_(); }
  void sysrq(char key) {
    auto found = console_on_sysrq.find(key);
    if (found != console_on_sysrq.end()) console_at(clock_(), found->second);
  }
  std::string drain(std::vector<Timed>& queue) {
    // Not necessarily in time order (replies come in as requests are answered).
    std::string out;
    const double now = clock_();
    std::vector<Timed> later;
    for (auto& item : queue) {
      if (item.t <= now) {
        out += item.bytes;
      } else {
        later.push_back(std::move(item));
      }
    }
    queue = std::move(later);
    return out;
  }
  std::function<double()> clock_;
  std::vector<Timed> console_, agent_;
  uint32_t seq_ = 1;
  uint64_t heartbeat_seq_ = 0;
  ScriptedAgent* agent_script_ = nullptr;
  std::optional<Stop> stop_;
  std::vector<Action> actions_;
  std::string name_ = "wedge-fake";
};

// A backend whose one guest is a FakeVm the test scripted: start() hands it out (once), on a
// clock that starts then. The script sees the spec it was started with.
class FakeBackend : public vm::Backend, public vm::VersionInfo {
 public:
  // script: called with the fresh FakeVm at start(), to queue its streams.
  explicit FakeBackend(std::function<void(FakeVm&, const vm::VmSpec&)> script)
      : script_(std::move(script)) {}

  Result<std::unique_ptr<vm::Instance>> start(const vm::VmSpec& spec) override {
    if (started_) return make_error("the fake backend starts one guest");
    started_ = true;
    const auto t0 = std::chrono::steady_clock::now();
    auto vm = std::make_unique<FakeVm>([t0] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    });
    vm->set_name(spec.name);
    script_(*vm, spec);
    return std::unique_ptr<vm::Instance>(std::move(vm));
  }
  Result<std::vector<std::string>> list_wedge_domains() override {
    return std::vector<std::string>();
  }
  std::string qemu_version() const override { return "7.2.0"; }
  std::string libvirt_version() const override { return "9.0.0"; }

 private:
  std::function<void(FakeVm&, const vm::VmSpec&)> script_;
  bool started_ = false;
};

}  // namespace wedge::testing
