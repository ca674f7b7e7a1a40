// kind = "memory-max": the workload cgroup's memory.max is set to memory_max_mib, then "max".
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& memory_max_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kMemoryMax,
                                  .name = "memory-max",
                                  .doc = "the workload cgroup's memory.max, then back to max",
                                  .need = FaultNeed::kNothing,
                                  .lasting = true,
                                  .params = {{.key = "memory_max_mib",
                                              .type = ParamType::kInt,
                                              .min = 1,
                                              .max = 1024 * 1024,
                                              .doc = "the cap while it lasts"}}};
  return spec;
}

}  // namespace wedge::config
