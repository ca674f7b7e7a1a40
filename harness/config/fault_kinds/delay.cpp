// kind = "delay": the relay adds delay_ms of latency in both directions for duration_s.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& delay_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kDelay,
                                  .name = "delay",
                                  .doc = "the relay adds latency, both directions",
                                  .need = FaultNeed::kRelay,
                                  .lasting = true,
                                  .params = {{.key = "delay_ms",
                                              .type = ParamType::kInt,
                                              .min = 1,
                                              .max = 600000,
                                              .doc = "milliseconds added"}}};
  return spec;
}

}  // namespace wedge::config
