// kind = "server-crash": the storage server is killed and stays dead (needs recover = false).
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& server_crash_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kServerCrash,
      .name = "server-crash",
      .doc = "the server is killed and stays dead (needs `[limits] recover = false`)",
      .need = FaultNeed::kServerProcess,
      .instant = true,
      .why_no_duration = "the server stays down",
      .never_ends = true};
  return spec;
}

}  // namespace wedge::config
