// kind = "rate": a bandwidth cap of rate_kib_s, in the relay or nbdkit's rate filter.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& rate_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kRate,
      .name = "rate",
      .doc = "a bandwidth cap (the relay's, or nbdkit's rate filter)",
      .routes = {{"relay", FaultNeed::kRelay}, {"nbdkit", FaultNeed::kNbdkit}},
      .lasting = true,
      .params = {{.key = "rate_kib_s",
                  .type = ParamType::kInt,
                  .min = 1,
                  .max = 10 * 1024 * 1024,
                  .doc = "KiB per second"}}};
  return spec;
}

}  // namespace wedge::config
