// kind = "fio": its keys; what it runs is harness/workload_kinds/fio_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& fio_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kFio,
      .doc = "Debian's fio on your job file; progress per mille, its JSON result in report.json",
      .keys = {{.key = "job",
                .type = WorkloadKeyType::kPath,
                .doc = "the fio job file, copied to /extra"},
               {.key = "args",
                .type = WorkloadKeyType::kStrings,
                .doc = "fio options, `{device}` and `{mount}` replaced by where the storage is"}}};
  return spec;
}

}  // namespace wedge::config
