// One booted guest as the run sees it: pumps the console and agent streams through their
// decoders (never parsing bytes itself), records them in the run directory, and offers
// agent requests (jobs, file writes) with timeouts.
//
//   run::GuestSession s(*vm, run_dir, clock, observer);
//   WEDGE_TRY(auto hello, s.wait_for_hello(timeouts.boot()));
//   WEDGE_TRY(auto step, s.run_step("mkswap", {"/bin/busybox", "mkswap", "/dev/nbd0"}, 60s));
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent/decoder.h"
#include "harness/agent/sample.h"
#include "harness/console/parser.h"
#include "harness/util/result.h"
#include "harness/vm/vm.h"

namespace wedge::run {

struct JobState {
  std::string name;
  bool started = false;
  bool exited = false;
  int pid = 0;
  int exit_code = 0;
  int signal = 0;
  bool spawn_failed = false;
  std::string output;  // stdout+stderr, capped
};

// What one pump() brought in, for the run loop to hand to the detector and the numbers.
struct Pumped {
  std::vector<console::Event> console_events;
  int heartbeats = 0;
  std::vector<agent::MemSnapshot> samples;
  std::vector<std::pair<uint32_t, std::string>> output_lines;  // job id, one line
  std::vector<uint32_t> exited_jobs;
  std::optional<std::string> channel_error;
};

class GuestSession {
 public:
  using Clock = std::function<double()>;  // run time in seconds
  using Observer = std::function<void(const Pumped&)>;

  GuestSession(vm::Instance& vm, std::filesystem::path run_dir, Clock clock, Observer observer);

  // Reads whatever the guest sent since the last call. Never blocks.
  Pumped pump();
  // Ends the console stream: completes an event whose report was the last console output.
  Pumped finish_console();
  // Pumps until the agent says hello (and answers a ping), or the timeout passes.
  [[nodiscard]] Result<agent::Hello> wait_for_hello(std::chrono::milliseconds timeout);
  [[nodiscard]] Result<uint32_t> start_job(const std::string& name,
                                           const std::vector<std::string>& argv);
  // Runs a setup command to completion; non-zero exit is an error carrying its output.
  [[nodiscard]] Result<JobState> run_step(const std::string& name,
                                          const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout);
  [[nodiscard]] const JobState& job(uint32_t id) const { return jobs_.at(id); }
  [[nodiscard]] std::optional<agent::Hello> hello() const { return hello_; }
  [[nodiscard]] double last_heartbeat_s() const { return last_heartbeat_s_; }
  // Sends raw bytes to the agent (encoded requests).
  [[nodiscard]] Status send(const std::string& frame);
  [[nodiscard]] agent::CommandEncoder& encoder() { return encoder_; }

 private:
  void handle(const agent::Message& message, Pumped* out);
  void log_event(const std::string& json_line);

  vm::Instance& vm_;
  std::filesystem::path run_dir_;
  Clock clock_;
  Observer observer_;
  console::ConsoleScanner scanner_;
  agent::Decoder decoder_;
  agent::CommandEncoder encoder_;
  std::optional<agent::Hello> hello_;
  std::map<uint32_t, JobState> jobs_;
  std::map<uint32_t, std::string> partial_lines_;
  std::map<uint32_t, bool> done_requests_;
  uint32_t next_job_ = 1;
  uint32_t next_request_ = 1;
  double last_heartbeat_s_ = 0;
};

}  // namespace wedge::run
