// kind = "large-file": one file of size_mib (default twice the guest's RAM) written with
// buffered writes through the page cache on the mounted filesystem, fsync'ed, then read back
// and checked block by block (verify = true), after a remount when remount = true.
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

int size_of(const config::Scenario& s) {
  return s.workload.given("size_mib") ? s.workload.integer("size_mib") : 2 * s.guest.memory_mib;
}

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(require_use(s, config::StorageUse::kFs));
  return require_room(s, size_of(s));
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  return writer_argv(s, in_use, size_of(s), 1, false);
}

}  // namespace

const WorkloadEntry& large_file_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kLargeFile,
                                   .validate = validate,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line,
                                   .reports_findings = true};
  return entry;
}

}  // namespace wedge::workloads
