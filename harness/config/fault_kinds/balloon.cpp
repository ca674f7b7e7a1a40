// kind = "balloon": the guest is shrunk to balloon_mib through virtio-balloon, then restored.
#include <fmt/format.h>

#include "harness/config/fault_kind.h"
#include "harness/config/scenario.h"

namespace wedge::config {

namespace {

Status below_guest_memory(const FaultConfig& fault, const Scenario& s, const std::string& at,
                          const std::string& what) {
  const int mib = fault.int_param("balloon_mib");
  if (mib < s.guest.memory_mib) return ok_status();
  return make_error("{}: {} balloon_mib = {} must be below [guest] memory_mib = {}", at, what, mib,
                    s.guest.memory_mib);
}

}  // namespace

const FaultKindSpec& balloon_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kBalloon,
                                  .name = "balloon",
                                  .doc = "the guest shrunk through its balloon, then restored",
                                  .need = FaultNeed::kNothing,
                                  .lasting = true,
                                  .params = {{.key = "balloon_mib",
                                              .type = ParamType::kInt,
                                              .min = 16,
                                              .max = 65536,
                                              .doc = "guest memory while it lasts"}},
                                  .check = below_guest_memory};
  return spec;
}

}  // namespace wedge::config
