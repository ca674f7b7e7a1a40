// kind = "server-restart": the storage server is killed, then started again on the same export
// and port restart_after_s later.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& server_restart_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kServerRestart,
      .name = "server-restart",
      .doc = "the server is killed, then started again on the same export and port",
      .need = FaultNeed::kServerProcess,
      .why_no_duration = "it lasts restart_after_s",
      .lasts_key = "restart_after_s",
      .params = {{.key = "restart_after_s",
                  .type = ParamType::kNumber,
                  .min = 0,
                  .max = 3600,
                  .doc = "seconds the server stays dead"}}};
  return spec;
}

}  // namespace wedge::config
