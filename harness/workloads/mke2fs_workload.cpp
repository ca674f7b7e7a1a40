// kind = "mke2fs": e2fsprogs' own mke2fs (copied into the image with its libraries) on the raw
// device, args passed through. The agent's watch mode runs it and reports the bytes written
// to the device (/sys/block/X/stat) with mke2fs's current phase.
#include "harness/util/process.h"
#include "harness/workloads/workload.h"

namespace wedge::workloads {

namespace {

Status validate(const config::Scenario& s) {
  WEDGE_CHECK(require_use(s, config::StorageUse::kDevice));
  for (const std::string& a : s.workload.args) {
    if (!a.empty() && a[0] == '/') {
      return make_error(
          "{}: [workload] args: \"{}\": the device is added by wedge, give options only",
          where(s, "args"), a);
    }
  }
  return ok_status();
}

storage::ImageNeeds image_needs(const config::Scenario&) { return {{"mke2fs"}, {}, {}}; }

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  if (in_use.device.empty()) return make_error("mke2fs: the storage has no block device");
  WEDGE_TRY(auto mke2fs, find_executable("mke2fs"));
  std::vector<std::string> out = {kWatchPath,    "watch", "--device",
                                  in_use.device, "--",    mke2fs.string()};
  out.insert(out.end(), s.workload.args.begin(), s.workload.args.end());
  out.push_back(in_use.device);
  return out;
}

}  // namespace

const WorkloadEntry& mke2fs_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kMke2fs,
                                   .keys = {"args"},
                                   .validate = validate,
                                   .image_needs = image_needs,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line};
  return entry;
}

}  // namespace wedge::workloads
