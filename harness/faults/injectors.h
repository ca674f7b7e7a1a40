// Injectors: the code that really breaks things for one [[fault]] and undoes it afterwards.
// Each works through a small interface (ServerControl, TcpRelay, nbdkit control files, plain
// functions for the balloon and memory.max), so tests can hand it fakes.
//
//   // Before starting the server: the filters the scenario's faults need.
//   faults::NbdkitSetup nbdkit = faults::nbdkit_filters_for(scenario.faults, run_dir);
//   options.nbdkit_filters = nbdkit.filters;  options.nbdkit_params = nbdkit.params;
//   WEDGE_TRY(auto server, storage::NbdServer::start(options, timeouts.server_start));
//   // Then one injector per fault.
//   auto control = faults::control_of(*server, timeouts.server_start);
//   faults::InjectorTargets targets;
//   targets.server = control.get();
//   targets.relay = &server->relay();
//   targets.nbdkit = nbdkit;
//   targets.set_balloon_mib = [&](int mib) { return vm->set_balloon_mib(mib); };
//   targets.guest_memory_mib = scenario.guest.memory_mib;
//   targets.set_memory_max = set_workload_memory_max;  // the run's cgroup writer
//   WEDGE_TRY(auto injectors, faults::make_injectors(scenario.faults, targets));
//   WEDGE_CHECK(injectors[i]->start());  ...  WEDGE_CHECK(injectors[i]->stop());
//
// What start() and stop() do per kind:
//   server-stall  signal: SIGSTOP / SIGCONT the server's process group; pause: 'p' / 'r' on
//                 nbdkit's pause-control socket; relay: RelayFaults::stall on / off
//   server-crash  kill() / nothing          server-restart  kill() / restart()
//   delay, rate (relay), blackhole: the RelayFaults field on / off (other fields are kept, so
//                 relay faults overlap)      reset: reset_connections() / nothing
//   rate (nbdkit) rate-file = the rate / "0" (unlimited)
//   error         error-file created / removed (nbdkit started with error-rate and error-file)
//   balloon       set_balloon_mib(balloon_mib) / set_balloon_mib(guest_memory_mib)
//   memory-max    set_memory_max(memory_max_mib) / set_memory_max(nullopt: "max")
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/storage/nbd_server.h"
#include "harness/storage/relay.h"
#include "harness/util/result.h"

namespace wedge::faults {

class Injector {
 public:
  virtual ~Injector() = default;
  // Applies the fault. Called once.
  [[nodiscard]] virtual Status start() = 0;
  // Undoes it (a no-op for reset and server-crash). Called at most once, after start().
  [[nodiscard]] virtual Status stop() = 0;
  // "server-stall via signal", for logs.
  [[nodiscard]] virtual std::string describe() const = 0;
};

// What server faults need from a storage server: signal every process that serves the guest,
// kill it, start it again (same export, same guest port).
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  [[nodiscard]] virtual Status signal(int sig) = 0;
  [[nodiscard]] virtual Status kill() = 0;
  [[nodiscard]] virtual Status restart() = 0;
};

// ServerControl over an NbdServer (which must outlive it); restart waits at most
// restart_timeout for the server to listen.
[[nodiscard]] std::unique_ptr<ServerControl> control_of(storage::NbdServer& server,
                                                        std::chrono::milliseconds restart_timeout);

// nbdkit's command line for the faults, and where its run-time controls live.
struct NbdkitSetup {
  std::vector<std::string> filters;    // for NbdServerOptions::nbdkit_filters, in order
  std::vector<std::string> params;     // for NbdServerOptions::nbdkit_params
  std::filesystem::path pause_socket;  // pause filter's control socket, or empty
  std::filesystem::path rate_file;     // rate filter's rate-file (bits/s), or empty
  std::filesystem::path error_file;    // error filter's error-file (errors while it exists)
};

// Filters for server-stall via pause, rate via nbdkit and error faults (none needed: empty),
// with their control files in control_dir. Nothing is created: the run directory is fresh.
[[nodiscard]] NbdkitSetup nbdkit_filters_for(const std::vector<config::FaultConfig>& faults,
                                             const std::filesystem::path& control_dir);

// What injectors act on. A fault whose target is missing (nullptr, empty function or path)
// makes make_injector fail, naming what is missing.
struct InjectorTargets {
  ServerControl* server = nullptr;
  storage::TcpRelay* relay = nullptr;
  NbdkitSetup nbdkit;
  std::function<Status(int mib)> set_balloon_mib;
  int guest_memory_mib = 0;  // what the balloon returns to
  // nullopt: no limit ("max").
  std::function<Status(std::optional<int> mib)> set_memory_max;
  std::chrono::milliseconds pause_timeout{5000};  // waiting for nbdkit to acknowledge a pause
};

[[nodiscard]] Result<std::unique_ptr<Injector>> make_injector(const config::FaultConfig& fault,
                                                              const InjectorTargets& targets);

// One injector per fault, in order (index i acts for faults[i]).
[[nodiscard]] Result<std::vector<std::unique_ptr<Injector>>> make_injectors(
    const std::vector<config::FaultConfig>& faults, const InjectorTargets& targets);

// Sends one command byte to nbdkit's pause filter and waits for its upper-case echo: 'p' pauses
// (acknowledged once requests in flight are done), 'r' resumes.
[[nodiscard]] Status nbdkit_pause_command(const std::filesystem::path& socket, char command,
                                          std::chrono::milliseconds timeout);

}  // namespace wedge::faults
