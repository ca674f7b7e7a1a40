// kind = "command": its keys; what it runs is harness/workload_kinds/command_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& command_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kCommand,
      .doc = "your own program, no shell; it reports no progress of its own",
      .keys = {{.key = "argv",
                .type = WorkloadKeyType::kStrings,
                .doc = "the program (an absolute guest path) and its arguments, `{device}` and "
                       "`{mount}` replaced by where the storage is"},
               {.key = "files",
                .type = WorkloadKeyType::kPaths,
                .doc = "host files copied to /extra in the guest"}}};
  return spec;
}

}  // namespace wedge::config
