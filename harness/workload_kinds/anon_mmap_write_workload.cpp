// kind = "anon-mmap-write": `processes` processes each map their share of size_mib of anonymous
// memory, write it and read it back, `passes` times (the agent's mmap-write mode); in total
// several times the guest's RAM, so swap-out and swap-in never rest (after mmtests'
// vmscan-anon-mmap-write). With verify = true every page read back is checked.
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

// Not given: three times the guest's RAM.
int size_of(const config::Scenario& s) {
  return s.workload.given("size_mib") ? s.workload.integer("size_mib") : 3 * s.guest.memory_mib;
}

int processes_of(const config::Scenario& s) { return s.workload.integer("processes"); }

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(require_use(s, config::StorageUse::kSwap));
  if (size_of(s) < processes_of(s)) {
    return make_error("{}: [workload] size_mib = {} gives less than 1 MiB to each of {} processes",
                      where(s, "size_mib"), size_of(s), processes_of(s));
  }
  if (!s.storage.raid1 && size_of(s) >= s.guest.memory_mib + s.storage.size_mib) {
    return make_error(
        "{}: [workload] size_mib = {} cannot fit in guest memory ({} MiB) plus swap ({} MiB)",
        where(s, "size_mib"), size_of(s), s.guest.memory_mib, s.storage.size_mib);
  }
  return ok_status();
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse&) {
  const int processes = processes_of(s);
  std::vector<std::string> out = {kHogPath,     "mmap-write",
                                  "--procs",    std::to_string(processes),
                                  "--mib",      std::to_string(size_of(s) / processes),
                                  "--passes",   std::to_string(s.workload.integer("passes")),
                                  "--step-mib", "8"};
  if (s.workload.flag("verify")) out.push_back("--verify");
  return out;
}

}  // namespace

const WorkloadEntry& anon_mmap_write_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kAnonMmapWrite,
                                   .validate = validate,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line};
  return entry;
}

}  // namespace wedge::workloads
