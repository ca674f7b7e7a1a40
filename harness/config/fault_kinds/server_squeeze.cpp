// kind = "server-squeeze": the server guest (a kernel serving the storage) is shrunk to
// memory_mib through its balloon while the fault lasts, then given its memory back: the
// server-side half of the memory deadlock, a target that cannot allocate while its clients
// wait on it.
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& server_squeeze_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kServerSqueeze,
      .name = "server-squeeze",
      .doc = "the server guest shrunk through its balloon, then restored",
      .need = FaultNeed::kServerGuest,
      .lasting = true,
      .params = {{.key = "memory_mib",
                  .type = ParamType::kInt,
                  .min = 16,
                  .max = 65536,
                  .doc = "the server guest's memory while it lasts"}}};
  return spec;
}

}  // namespace wedge::config
