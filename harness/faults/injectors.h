// Injectors: the code that really breaks things for one [[fault]] and undoes it afterwards.
// Each fault family is one file (server_injectors.cpp, relay_injectors.cpp,
// nbdkit_injectors.cpp, guest_injectors.cpp) behind the Injector interface; make_injector
// picks it by config::FaultKind. Server faults act on storage::Server (any transport's host
// server, chosen by the fault's `leg`), never on one server type.
//
//   faults::InjectorTargets targets;
//   targets.servers = transport->servers();             // leg 0, leg 1 (RAID1)
//   targets.set_balloon_mib = [&](int mib) { return vm->set_balloon_mib(mib); };
//   targets.guest_memory_mib = scenario.guest.memory_mib;
//   targets.set_memory_max = set_workload_memory_max;  // the run's cgroup writer
//   WEDGE_TRY(auto injectors, faults::make_injectors(scenario.faults, targets));
//   WEDGE_CHECK(injectors[i]->start());  ...  WEDGE_CHECK(injectors[i]->stop());
//
// What start() and stop() do per kind:
//   server-stall  signal: SIGSTOP / SIGCONT the server's processes; pause: 'p' / 'r' on
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
#include "harness/storage/server.h"
#include "harness/util/result.h"
#include "harness/util/timeouts.h"

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

// What injectors act on. A fault whose target is missing (no server for its leg, no nbdkit
// control, an empty function) makes make_injector fail, naming what is missing.
struct InjectorTargets {
  std::vector<storage::Server*> servers;  // by leg
  std::function<Status(int mib)> set_balloon_mib;
  int guest_memory_mib = 0;  // what the balloon returns to
  // nullopt: no limit ("max").
  std::function<Status(std::optional<int> mib)> set_memory_max;
  // The run's table sets these (harness/util/timeouts.h); the defaults are the same values.
  std::chrono::milliseconds pause_timeout = Timeouts{}.nbdkit_pause;    // nbdkit pausing
  std::chrono::milliseconds restart_timeout = Timeouts{}.server_start;  // listening again
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
