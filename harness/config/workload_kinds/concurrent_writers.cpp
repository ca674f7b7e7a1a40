// kind = "concurrent-writers": its keys; what it runs is
// harness/workload_kinds/concurrent_writers_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& concurrent_writers_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kConcurrentWriters,
      .doc =
          "writers at once, interleaved regions of one file or one file each; every region "
          "verified",
      .keys = {{.key = "size_mib",
                .min = 1,
                .max = 1024 * 1024,
                .default_value = 256,
                .doc = "MiB written in total"},
               {.key = "writers",
                .min = 1,
                .max = 64,
                .default_value = 4,
                .doc = "processes writing at once"},
               {.key = "same_file",
                .type = WorkloadKeyType::kBool,
                .default_value = false,
                .doc = "interleaved regions of one file (else one file each)"},
               {.key = "verify",
                .type = WorkloadKeyType::kBool,
                .default_value = true,
                .doc = "read every region back and check it"},
               kRemountKey,
               kPauseBeforeVerifyKey}};
  return spec;
}

}  // namespace wedge::config
