// kind = "server-slow-after": the relay holds every answer of the server delay_ms long once the
// server has answered after_requests requests (a server that degrades under load, or after a
// cache fills), from at_s / when for duration_s.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& server_slow_after_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kServerSlowAfter,
      .name = "server-slow-after",
      .doc = "the relay holds each answer of the server once it has answered after_requests",
      .need = FaultNeed::kRelay,
      .lasting = true,
      .params = {
          {.key = "delay_ms",
           .type = ParamType::kInt,
           .min = 1,
           .max = 600000,
           .default_value = 200,
           .doc = "milliseconds each answer is held"},
          {.key = "after_requests",
           .type = ParamType::kInt,
           .min = 0,
           .max = 1000000000,
           .default_value = 1000,
           .doc = "answers passed on at full speed first (counted since the relay started)"}}};
  return spec;
}

}  // namespace wedge::config
