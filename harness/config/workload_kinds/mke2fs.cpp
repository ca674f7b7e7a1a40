// kind = "mke2fs": its keys; what it runs is harness/workload_kinds/mke2fs_workload.cpp.
#include "harness/config/workload_kind.h"

namespace wedge::config {

const WorkloadKindSpec& mke2fs_workload_kind() {
  static const WorkloadKindSpec spec{
      .kind = WorkloadKind::kMke2fs,
      .doc =
          "e2fsprogs' mke2fs on the raw device (`use = \"device\"`; progress = bytes the "
          "device wrote) or creating an image file on the mount (`use = \"fs\"`, e.g. NFS; "
          "progress = bytes of page cache mke2fs dirtied)",
      .keys = {{.key = "args",
                .type = WorkloadKeyType::kStrings,
                .doc = "mke2fs options (e.g. `[\"-t\", \"ext4\"]`), without the device or image "
                       "(wedge adds it)"},
               {.key = "size_mib",
                .min = 1,
                .max = 1024 * 1024,
                .default_doc = "the storage less 64 MiB",
                .doc = "MiB of the image file (`use = \"fs\"` only)"}}};
  return spec;
}

}  // namespace wedge::config
