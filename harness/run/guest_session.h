// One booted guest as the run sees it: pumps the console and agent streams through their
// decoders (never parsing bytes itself), records them in the run directory, offers agent
// requests (jobs, file writes) with timeouts, and keeps the kernel's symbols current.
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
#include <set>
#include <string>
#include <vector>

#include "harness/agent/commands.h"
#include "harness/agent/decoder.h"
#include "harness/agent/sample.h"
#include "harness/console/parser.h"
#include "harness/run/symbol_fetcher.h"
#include "harness/util/capped_log.h"
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
  size_t console_bytes = 0;  // raw console output read by this pump
  int heartbeats = 0;
  std::vector<agent::MemSnapshot> samples;
  std::vector<std::pair<uint32_t, std::string>> output_lines;  // job id, one line
  std::optional<std::string> channel_error;
};

// The most each guest-fed file in the run directory may hold; past it the file says it was
// cut and how many bytes were dropped (util/capped_log.h). Normal runs stay far below.
struct LogCaps {
  uint64_t events = 64ull << 20;     // events.jsonl
  uint64_t samples = 64ull << 20;    // samples.jsonl (about 1 MiB per hour of samples)
  uint64_t workload = 256ull << 20;  // workload.log
  uint64_t setup = 16ull << 20;      // setup.log
  uint64_t agent = 16ull << 20;      // agent.log
};

class GuestSession {
 public:
  using Clock = std::function<double()>;  // run time in seconds
  using Observer = std::function<void(const Pumped&)>;

  GuestSession(vm::Instance& vm, std::filesystem::path run_dir, Clock clock, Observer observer,
               const LogCaps& caps = {});

  // Reads whatever the guest sent since the last call. Never blocks. A console report no line
  // came to for Timeouts::console_report_quiet is completed then (see ConsoleScanner).
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
  // Agent requests that work in a wedged guest (the agent is mlocked and never forks):
  // sysrq through /proc/sysrq-trigger, a scan of tasks in the given states, a paged file read.
  [[nodiscard]] Status agent_sysrq(char key, std::chrono::milliseconds timeout);
  [[nodiscard]] Result<std::vector<agent::Task>> scan_tasks(const std::string& states,
                                                            std::chrono::milliseconds timeout);
  [[nodiscard]] Status write_guest_file(const std::string& path, const std::string& data,
                                        std::chrono::milliseconds timeout);
  [[nodiscard]] Result<std::string> read_guest_file(const std::string& path, size_t max_bytes,
                                                    std::chrono::milliseconds timeout);
  // Has every later sample carry these guest files (agent::watched_paths); an error names the
  // first that did not open (the others are still watched).
  [[nodiscard]] Status watch_guest_files(const std::vector<std::string>& paths,
                                         std::chrono::milliseconds timeout);
  // Console events seen after console line `line` (kept for the last few thousand events).
  [[nodiscard]] std::vector<console::Event> console_events_after(int line) const;
  [[nodiscard]] int console_lines() const { return scanner_.lines(); }
  [[nodiscard]] const JobState& job(uint32_t id) const { return jobs_.at(id); }
  [[nodiscard]] std::optional<agent::Hello> hello() const { return hello_; }
  [[nodiscard]] double last_heartbeat_s() const { return last_heartbeat_s_; }
  // Kernel symbols for naming vCPU RIPs, kept current while the agent lives: the System.map
  // at path (from fetch_system_map; empty: none) moved by the KASLR offset, read right after
  // hello, and module symbols, refetched when the guest's modules change.
  void use_system_map(const std::filesystem::path& path) { symbols_.use_system_map(path); }
  [[nodiscard]] const traces::KernelSymbols& kernel_symbols() const { return symbols_.symbols(); }
  [[nodiscard]] std::string kernel_symbol_sources() const { return symbols_.describe(); }
  // Pumps until a module symbol fetch in flight is answered (true) or the timeout passes.
  [[nodiscard]] bool wait_for_module_symbols(std::chrono::milliseconds timeout);
  // Sends raw bytes to the agent (encoded requests).
  [[nodiscard]] Status send(const std::string& frame);
  // The run directory's guest-fed logs: the first write error (a full disk) or ok, its errno,
  // each log's size and dropped bytes, and closing them (writes the dropped-byte counts).
  [[nodiscard]] const Status& log_status() const;
  [[nodiscard]] int log_errno() const;
  [[nodiscard]] std::vector<const CappedLog*> logs() const;
  void close_logs();
  // Replies to requests we never sent (or gave up on long ago): ignored, counted.
  [[nodiscard]] uint64_t ignored_replies() const { return ignored_replies_; }
  [[nodiscard]] agent::CommandEncoder& encoder() { return encoder_; }

 private:
  static constexpr size_t kMaxOutstanding = 4096;  // requests awaiting an answer
  static constexpr size_t kMaxTasks = 5000;        // tasks kept per scan

  void handle(const agent::Message& message, Pumped* out);
  // A fresh request id, remembered until answered: answers to anything else are ignored, so
  // the guest cannot make the maps below grow.
  uint64_t new_request();
  bool expected(uint64_t request);
  void log_event(const std::string& json_line);
  void remember(const std::vector<console::Event>& events);
  // Remembers new console events and logs each to events.jsonl at run time now.
  void record(const std::vector<console::Event>& events, double now);

  vm::Instance& vm_;
  std::filesystem::path run_dir_;
  Clock clock_;
  Observer observer_;
  console::ConsoleScanner scanner_;
  double last_console_s_ = 0;  // when console bytes last came
  agent::Decoder decoder_;
  agent::CommandEncoder encoder_;
  CappedLog events_log_;
  CappedLog samples_log_;
  CappedLog workload_log_;
  CappedLog setup_log_;
  CappedLog agent_log_;
  std::optional<agent::Hello> hello_;
  std::map<uint32_t, JobState> jobs_;
  std::map<uint32_t, std::string> partial_lines_;
  // Pumps every `poll` until done() holds: true, false on timeout, an error when the agent
  // channel is lost (or, if interruptible, on SIGINT/SIGTERM).
  [[nodiscard]] Result<bool> pump_until(const std::function<bool()>& done,
                                        std::chrono::milliseconds timeout, bool interruptible,
                                        std::chrono::milliseconds poll);
  // Waits (pumping) until request is answered; false on timeout or a Failed reply.
  [[nodiscard]] Status wait_request(uint64_t request, std::chrono::milliseconds timeout,
                                    const std::string& what);

  std::vector<console::Event> recent_events_;
  std::map<uint64_t, bool> done_requests_;
  std::map<uint64_t, std::string> failed_requests_;
  std::map<uint64_t, std::vector<agent::Task>> tasks_;
  std::map<uint64_t, agent::File> files_;
  std::set<uint64_t> outstanding_;
  uint64_t ignored_replies_ = 0;
  uint32_t next_job_ = 1;
  uint64_t next_request_ = 1;
  double last_heartbeat_s_ = 0;
  SymbolFetcher symbols_;  // after encoder_ and next_request_, which it uses
};

}  // namespace wedge::run
