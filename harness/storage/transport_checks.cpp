// Implementation of transport_checks.h.
#include "harness/storage/transport_checks.h"

#include <fmt/format.h>

namespace wedge::storage {

Status no_server_binary(const config::Scenario& s, std::string_view what_serves) {
  if (s.storage.server_binary.empty()) return ok_status();
  return make_error("{}:{}: [storage] {}: server_binary must be unset", s.source.string(),
                    s.storage.line, what_serves);
}

Status no_kill_or_restart(const config::Scenario& s, std::string_view server) {
  for (const config::FaultConfig& f : s.faults) {
    if (f.kind == config::FaultKind::kServerCrash || f.kind == config::FaultKind::kServerRestart) {
      return make_error(
          "{}:{}: [[fault]] kind = \"{}\": {} is a kernel in a server guest, which cannot be "
          "killed or restarted (server-stall pauses it)",
          s.source.string(), f.line, config::name_of(f.kind), server);
    }
  }
  return ok_status();
}

}  // namespace wedge::storage
