// kind = "concurrent-writers": `writers` processes write size_mib in total at once, into
// interleaved regions of one file (same_file = true, the ENBD report's case) or a file each;
// every region is read back and checked.
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(require_use(s, config::StorageUse::kFs));
  if (s.workload.integer("size_mib") < s.workload.integer("writers")) {
    return make_error("{}: [workload] size_mib = {} gives less than 1 MiB to each of {} writers",
                      where(s, "size_mib"), s.workload.integer("size_mib"),
                      s.workload.integer("writers"));
  }
  return require_room(s, s.workload.integer("size_mib"));
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  return writer_argv(s, in_use, s.workload.integer("size_mib"), s.workload.integer("writers"),
                     s.workload.flag("same_file"));
}

}  // namespace

const WorkloadEntry& concurrent_writers_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kConcurrentWriters,
                                   .validate = validate,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line,
                                   .reports_findings = true};
  return entry;
}

}  // namespace wedge::workloads
