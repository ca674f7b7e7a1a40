// kind = "concurrent-writers": `writers` processes write size_mib in total at once, into
// interleaved regions of one file (same_file = true, the ENBD report's case) or a file each;
// every region is read back and checked.
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

int size_of(const config::Scenario& s) {
  return s.workload.line_of("size_mib") ? s.workload.size_mib : 256;
}

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(require_use(s, config::StorageUse::kFs));
  if (size_of(s) < s.workload.writers) {
    return make_error("{}: [workload] size_mib = {} gives less than 1 MiB to each of {} writers",
                      where(s, "size_mib"), size_of(s), s.workload.writers);
  }
  return require_room(s, size_of(s));
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  return writer_argv(s, in_use, size_of(s), s.workload.writers, s.workload.same_file);
}

}  // namespace

const WorkloadEntry& concurrent_writers_workload() {
  static const WorkloadEntry entry{
      .kind = config::WorkloadKind::kConcurrentWriters,
      .keys = {"size_mib", "writers", "same_file", "verify", "remount", "pause_before_verify_s"},
      .validate = validate,
      .argv = argv,
      .parse_progress = agent::parse_measure_line,
      .reports_findings = true};
  return entry;
}

}  // namespace wedge::workloads
