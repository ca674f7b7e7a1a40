// kind = "anon-mmap-write": its keys; what it runs is
// harness/workload_kinds/anon_mmap_write_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& anon_mmap_write_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kAnonMmapWrite,
      .doc =
          "several processes each map their share of anonymous memory, write it and read it "
          "back, pass after pass (after mmtests' vmscan-anon-mmap-write)",
      .keys = {{.key = "size_mib",
                .min = 1,
                .max = 1024 * 1024,
                .default_doc = "3x guest RAM",
                .doc = "MiB in total, shared by the processes"},
               {.key = "verify",
                .type = WorkloadKeyType::kBool,
                .default_value = true,
                .doc = "check every page read back"},
               {.key = "processes",
                .min = 1,
                .max = 64,
                .default_value = 4,
                .doc = "processes mapping and writing at once"},
               {.key = "passes",
                .min = 1,
                .max = 1000,
                .default_value = 2,
                .doc = "times each process writes and reads back its memory"}}};
  return spec;
}

}  // namespace wedge::config
