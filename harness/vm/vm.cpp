// Plain helpers of the Vm interface (vm.h).
#include "harness/vm/vm.h"

namespace wedge::vm {

const char* to_string(DomainState state) {
  switch (state) {
    case DomainState::kRunning:
      return "running";
    case DomainState::kPaused:
      return "paused";
    case DomainState::kShutoff:
      return "shutoff";
    case DomainState::kCrashed:
      return "crashed";
    case DomainState::kOther:
      return "other";
    case DomainState::kUnknown:
      return "unknown";
  }
  return "other";
}

std::string DomainStatus::describe() const {
  std::string out = to_string(state);
  if (!reason.empty()) out += fmt::format(" ({})", reason);
  if (!detail.empty()) out += ": " + detail;
  return out;
}

Result<DomainState> Instance::state() {
  WEDGE_TRY(DomainStatus s, status());
  return s.state;
}

}  // namespace wedge::vm
