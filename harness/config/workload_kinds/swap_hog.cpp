// kind = "swap-hog": its keys; what it runs is harness/workload_kinds/swap_hog_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& swap_hog_workload_kind() {
  static const WorkloadKindSpec spec{.kind = WorkloadKind::kSwapHog,
                                     .doc = "touches anonymous memory past RAM, reads it back",
                                     .keys = {{.key = "size_mib",
                                               .min = 1,
                                               .max = 1024 * 1024,
                                               .default_value = 600,
                                               .doc = "MiB of anonymous memory touched"},
                                              {.key = "verify",
                                               .type = WorkloadKeyType::kBool,
                                               .default_value = true,
                                               .doc = "read every page back and check it"}}};
  return spec;
}

}  // namespace wedge::config
