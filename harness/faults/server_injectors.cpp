// Faults on the host server's processes: server-stall via signal (SIGSTOP/SIGCONT),
// server-crash (kill, stays dead), server-restart (kill, then start again on the same data).
// server-stall's other routes live with their family (relay, nbdkit).
#include <signal.h>

#include "harness/faults/injector_family.h"

namespace wedge::faults {

InjectorResult make_stall_by_signal(const config::FaultConfig& fault,
                                    const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "server");
  return make_function_injector(
      description, [server] { return server->signal(SIGSTOP); },
      [server] { return server->signal(SIGCONT); });
}

InjectorResult make_server_stall_injector(const config::FaultConfig& fault,
                                          const InjectorTargets& targets) {
  if (fault.via == "pause") return make_stall_by_pause(fault, targets);
  if (fault.via == "relay") {
    return make_relay_toggle(fault, targets,
                             [](storage::RelayFaults& f, bool on) { f.stall = on; });
  }
  return make_stall_by_signal(fault, targets);
}

InjectorResult make_server_crash_injector(const config::FaultConfig& fault,
                                          const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "server");
  return make_function_injector(description, [server] { return server->kill(); });
}

InjectorResult make_server_restart_injector(const config::FaultConfig& fault,
                                            const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "server");
  auto timeout = targets.restart_timeout;
  return make_function_injector(
      description, [server] { return server->kill(); },
      [server, timeout] { return server->restart(timeout); });
}

}  // namespace wedge::faults
