// Faults on the host server's processes: server-stall via signal (SIGSTOP/SIGCONT),
// server-crash (kill, stays dead), server-restart (kill, then start again on the same data).
#include <signal.h>

#include "harness/faults/injector_family.h"

namespace wedge::faults {

InjectorResult make_server_injector(const config::FaultConfig& fault,
                                    const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "server");
  switch (fault.kind) {
    case config::FaultKind::kServerStall:
      return make_function_injector(
          description, [server] { return server->signal(SIGSTOP); },
          [server] { return server->signal(SIGCONT); });
    case config::FaultKind::kServerCrash:
      return make_function_injector(description, [server] { return server->kill(); });
    case config::FaultKind::kServerRestart: {
      auto timeout = targets.restart_timeout;
      return make_function_injector(
          description, [server] { return server->kill(); },
          [server, timeout] { return server->restart(timeout); });
    }
    default:
      return make_error("{}: not a server fault", description);
  }
}

}  // namespace wedge::faults
