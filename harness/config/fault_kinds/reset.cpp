// kind = "reset": an instant; the relay resets every connection.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& reset_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kReset,
                                  .name = "reset",
                                  .doc = "an instant: the relay resets every connection",
                                  .need = FaultNeed::kRelay,
                                  .instant = true,
                                  .why_no_duration = "it is an instant"};
  return spec;
}

}  // namespace wedge::config
