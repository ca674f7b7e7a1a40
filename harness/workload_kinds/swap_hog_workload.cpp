// kind = "swap-hog": the agent's hog mode touches size_mib of anonymous memory page by page,
// reporting MiB done, and re-reads it with verify = true (a page swapped in wrong is caught).
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

Status validate(const config::Scenario& s) {
  if (s.storage.use == config::StorageUse::kSwap && !s.storage.raid1 &&
      s.workload.integer("size_mib") >= s.guest.memory_mib + s.storage.size_mib) {
    return make_error(
        "{}: [workload] size_mib = {} cannot fit in guest memory ({} MiB) plus swap ({} MiB)",
        s.source.string(), s.workload.integer("size_mib"), s.guest.memory_mib, s.storage.size_mib);
  }
  return ok_status();
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse&) {
  std::vector<std::string> out = {
      kHogPath, "hog", "--mib", std::to_string(s.workload.integer("size_mib")), "--step-mib", "8"};
  if (s.workload.flag("verify")) out.push_back("--verify");
  return out;
}

}  // namespace

const WorkloadEntry& swap_hog_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kSwapHog,
                                   .validate = validate,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line};
  return entry;
}

}  // namespace wedge::workloads
