// kind = "command": the user's own program from argv (no shell), with {mount} and {device}
// in its arguments replaced by where the storage is. It reports no progress of its own.
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

Status validate(const config::Scenario& s) {
  const std::vector<std::string> argv = s.workload.strings("argv");
  if (argv.empty()) {
    return make_error("{}: [workload] kind = \"command\" needs argv = [\"/path\", ...]",
                      where(s, "kind"));
  }
  if (argv[0].empty() || argv[0][0] != '/') {
    return make_error("{}: [workload] argv[0] must be an absolute path in the guest, got \"{}\"",
                      where(s, "kind"), argv[0]);
  }
  return ok_status();
}

void replace_all(std::string& s, std::string_view what, const std::string& with) {
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size())) {
    s.replace(at, what.size(), with);
  }
}

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  std::vector<std::string> out = s.workload.strings("argv");
  for (std::string& a : out) {
    if (a.find("{device}") != std::string::npos && in_use.device.empty()) {
      return make_error("{}: [workload] argv uses {{device}} but the storage has no block device",
                        where(s, "argv"));
    }
    if (a.find("{mount}") != std::string::npos && in_use.mount_point.empty()) {
      return make_error("{}: [workload] argv uses {{mount}} but nothing is mounted (use = \"fs\")",
                        where(s, "argv"));
    }
    replace_all(a, "{device}", in_use.device);
    replace_all(a, "{mount}", in_use.mount_point);
  }
  return out;
}

std::vector<std::filesystem::path> host_files(const config::Scenario& s) {
  return s.workload.paths("files");
}

}  // namespace

const WorkloadEntry& command_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kCommand,
                                   .validate = validate,
                                   .argv = argv,
                                   .host_files = host_files};
  return entry;
}

}  // namespace wedge::workloads
