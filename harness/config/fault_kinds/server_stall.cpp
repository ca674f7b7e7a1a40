// kind = "server-stall": the storage server stops answering for duration_s, by SIGSTOP
// (signal), nbdkit's pause filter (pause) or the relay holding its traffic (relay).
#include "harness/config/fault_kind.h"

namespace wedge::config {

const FaultKindSpec& server_stall_fault_kind() {
  static const FaultKindSpec spec{
      .kind = FaultKind::kServerStall,
      .name = "server-stall",
      .doc = "the server stops answering, then resumes; nothing is lost",
      .routes = {{"signal", FaultNeed::kServerProcess},
                 {"pause", FaultNeed::kNbdkit},
                 {"relay", FaultNeed::kRelay}},
      .lasting = true};
  return spec;
}

}  // namespace wedge::config
