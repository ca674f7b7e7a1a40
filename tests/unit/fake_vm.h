// A scripted fake vm::Instance for detector and monitor tests: console bytes and agent frames
// become readable at given run times, and host-side routes answer from a script.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/agent/messages.h"
#include "harness/vm/vm.h"

namespace wedge::testing {

class FakeVm : public vm::Instance {
 public:
  explicit FakeVm(const double* now_s) : now_s_(now_s) {}

  void console_at(double t, std::string bytes) { console_.push_back({t, std::move(bytes)}); }
  void agent_at(double t, const agent::Message& m) {
    agent_.push_back({t, agent::encode_message(m, seq_++)});
  }
  // What `monitor_command(hmp)` prints.
  std::map<std::string, std::string> monitor_replies;
  std::vector<std::string> sent;  // frames written to the agent
  std::vector<char> sysrq_keys, serial_sysrq_keys;

  Result<std::string> read_console() override { return drain(console_); }
  Result<std::string> read_agent() override { return drain(agent_); }
  Status write_agent(const std::string& bytes) override {
    sent.push_back(bytes);
    return ok_status();
  }
  Result<vm::DomainState> state() override { return vm::DomainState::kRunning; }
  Status send_sysrq(char key) override {
    sysrq_keys.push_back(key);
    return ok_status();
  }
  Status send_serial_sysrq(char key) override {
    serial_sysrq_keys.push_back(key);
    return ok_status();
  }
  Result<std::string> monitor_command(const std::string& hmp) override {
    auto it = monitor_replies.find(hmp);
    if (it == monitor_replies.end()) return make_error("no scripted reply to {}", hmp);
    return it->second;
  }
  Status dump_memory(const std::filesystem::path&) override { return ok_status(); }
  Status inject_nmi() override { return ok_status(); }
  void release() override {}
  Status set_balloon_mib(int) override { return ok_status(); }
  Status destroy() override { return ok_status(); }
  std::string qemu_version() override { return "7.2.0"; }
  std::string libvirt_version() override { return "9.0.0"; }
  const std::string& name() const override { return name_; }
  int serial_port() const override { return 0; }

 private:
  struct Timed {
    double t;
    std::string bytes;
  };
  std::string drain(std::vector<Timed>& queue) {
    std::string out;
    size_t i = 0;
    while (i < queue.size() && queue[i].t <= *now_s_) out += queue[i++].bytes;
    queue.erase(queue.begin(), queue.begin() + static_cast<ptrdiff_t>(i));
    return out;
  }
  const double* now_s_;
  std::vector<Timed> console_, agent_;
  uint32_t seq_ = 1;
  std::string name_ = "wedge-fake";
};

}  // namespace wedge::testing
