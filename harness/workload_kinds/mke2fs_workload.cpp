// kind = "mke2fs": e2fsprogs' own mke2fs (copied into the image with its libraries), args
// passed through. On use = "device" it formats the raw device and the agent's watch mode
// reports the bytes written to it (/sys/block/X/stat); on use = "fs" (a file transport such as
// NFS, or a filesystem on a block transport) it creates and formats an image file of size_mib
// on the mount, and watch reports the bytes mke2fs dirtied (/proc/PID/io). Both with
// mke2fs's current phase.
#include "harness/util/process.h"
#include "harness/workload_kinds/workload.h"

namespace wedge::workloads {

namespace {

constexpr const char* kImageName = "mke2fs.img";

// use = "fs": the image file's size; the storage less the room require_room keeps.
int image_mib(const config::Scenario& s) {
  return s.workload.given("size_mib") ? s.workload.integer("size_mib") : s.storage.size_mib - 64;
}

Status validate(const config::Scenario& s) {
  if (s.storage.use == config::StorageUse::kSwap) {
    return make_error(
        "{}: [workload] kind = \"mke2fs\" needs [storage] use = \"device\" (the raw device) "
        "or \"fs\" (an image file on the mount)",
        where(s, "kind"));
  }
  if (s.storage.use == config::StorageUse::kDevice) {
    if (s.workload.given("size_mib")) {
      return make_error(
          "{}: [workload] size_mib: mke2fs on use = \"device\" formats the whole device "
          "(set [storage] size_mib)",
          where(s, "size_mib"));
    }
  } else {
    if (image_mib(s) < 1) {
      return make_error("{}: [workload] mke2fs needs an image of at least 1 MiB (got {})",
                        where(s, "size_mib"), image_mib(s));
    }
    WEDGE_CHECK(require_room(s, image_mib(s)));
  }
  for (const std::string& a : s.workload.strings("args")) {
    if (!a.empty() && a[0] == '/') {
      return make_error(
          "{}: [workload] args: \"{}\": the device or image is added by wedge, give options "
          "only",
          where(s, "args"), a);
    }
  }
  return ok_status();
}

storage::ImageNeeds image_needs(const config::Scenario&) { return {{"mke2fs"}, {}, {}}; }

Result<std::vector<std::string>> argv(const config::Scenario& s, const storage::InUse& in_use) {
  WEDGE_TRY(auto mke2fs, find_executable("mke2fs"));
  std::vector<std::string> out = {kWatchPath, "watch"};
  std::string target;
  if (s.storage.use == config::StorageUse::kFs) {
    if (in_use.mount_point.empty()) return make_error("mke2fs: nothing is mounted");
    target = in_use.mount_point + "/" + kImageName;
    out.insert(out.end(), {"--file-mib", std::to_string(image_mib(s))});
  } else {
    if (in_use.device.empty()) return make_error("mke2fs: the storage has no block device");
    target = in_use.device;
    out.insert(out.end(), {"--device", target});
  }
  out.insert(out.end(), {"--", mke2fs.string()});
  const std::vector<std::string> args = s.workload.strings("args");
  out.insert(out.end(), args.begin(), args.end());
  out.push_back(target);
  // mke2fs creates a regular file that does not exist yet when given its size.
  if (s.storage.use == config::StorageUse::kFs) out.push_back(std::to_string(image_mib(s)) + "M");
  return out;
}

}  // namespace

const WorkloadEntry& mke2fs_workload() {
  static const WorkloadEntry entry{.kind = config::WorkloadKind::kMke2fs,
                                   .validate = validate,
                                   .image_needs = image_needs,
                                   .argv = argv,
                                   .parse_progress = agent::parse_measure_line};
  return entry;
}

}  // namespace wedge::workloads
