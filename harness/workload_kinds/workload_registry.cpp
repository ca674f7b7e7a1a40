// The workload registry (generated from workload_kind_list.h), the load-time check, and helpers
// the file workloads share.
#include "harness/workload_kinds/workload_registry.h"

namespace wedge::workloads {

// Defined in each workload's own file.
#define WEDGE_WORKLOAD_DECLARE(e, file, name) const WorkloadEntry& file##_workload();
WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_DECLARE)
#undef WEDGE_WORKLOAD_DECLARE

const WorkloadEntry& workload_entry(config::WorkloadKind kind) {
  switch (kind) {
#define WEDGE_WORKLOAD_CASE(e, file, name) \
  case config::WorkloadKind::e:            \
    return file##_workload();
    WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_CASE)
#undef WEDGE_WORKLOAD_CASE
  }
  return swap_hog_workload();
}

std::string where(const config::Scenario& s, std::string_view key) {
  int line = s.workload.line_of(key);
  if (line == 0) line = s.workload.line;
  return fmt::format("{}:{}", s.source.string(), line);
}

Status check_workload(const config::Scenario& s) {
  const WorkloadEntry& entry = workload_entry(s.workload.kind);
  if (entry.validate) WEDGE_CHECK(entry.validate(s));
  return ok_status();
}

Status require_use(const config::Scenario& s, config::StorageUse use) {
  if (s.storage.use == use) return ok_status();
  return make_error("{}: [workload] kind = \"{}\" needs [storage] use = \"{}\" (got \"{}\")",
                    where(s, "kind"), config::name_of(s.workload.kind), config::name_of(use),
                    config::name_of(s.storage.use));
}

Status require_room(const config::Scenario& s, int size_mib) {
  if (size_mib + 64 <= s.storage.size_mib) return ok_status();
  return make_error("{}: [workload] size_mib = {} does not fit on [storage] size_mib = {}",
                    where(s, "size_mib"), size_mib, s.storage.size_mib);
}

std::vector<std::string> writer_argv(const config::Scenario& s, const storage::InUse& in_use,
                                     int mib, int writers, bool same_file) {
  const config::WorkloadConfig& w = s.workload;
  std::vector<std::string> argv = {kWriterPath, "write",
                                   "--dir",     in_use.mount_point,
                                   "--mib",     std::to_string(mib),
                                   "--writers", std::to_string(writers)};
  if (same_file) argv.push_back("--same-file");
  if (w.flag("verify")) argv.push_back("--verify");
  if (const int pause_s = w.integer("pause_before_verify_s"); pause_s > 0) {
    argv.push_back("--pause-s");
    argv.push_back(std::to_string(pause_s));
  }
  if (w.flag("remount")) {
    argv.push_back("--remount");
    if (!in_use.device.empty()) {
      argv.push_back("--device");
      argv.push_back(in_use.device);
      argv.push_back("--fs");
      argv.push_back(s.storage.fs);
      if (!s.storage.mount_options.empty()) {
        argv.push_back("--mount-options");
        argv.push_back(s.storage.mount_options);
      }
    }
  }
  return argv;
}

}  // namespace wedge::workloads
