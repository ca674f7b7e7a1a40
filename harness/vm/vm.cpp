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
  }
  return "other";
}

}  // namespace wedge::vm
