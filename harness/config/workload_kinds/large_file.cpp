// kind = "large-file": its keys; what it runs is harness/workload_kinds/large_file_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& large_file_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kLargeFile,
      .doc =
          "one file through the page cache on `use = \"fs\"`, fsync, then (after a remount, "
          "which defeats the page cache) every block verified",
      .keys = {{.key = "size_mib",
                .min = 1,
                .max = 1024 * 1024,
                .default_doc = "2x guest RAM",
                .doc = "MiB written to the file"},
               {.key = "verify",
                .type = WorkloadKeyType::kBool,
                .default_value = true,
                .doc = "read every block back and check it"},
               kRemountKey,
               kPauseBeforeVerifyKey}};
  return spec;
}

}  // namespace wedge::config
