// kind = "blackhole": the relay drops everything in both directions for duration_s.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& blackhole_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kBlackhole,
                                  .name = "blackhole",
                                  .doc = "the relay drops everything (the stream is lost)",
                                  .need = FaultNeed::kRelay,
                                  .lasting = true};
  return spec;
}

}  // namespace wedge::config
