// What the detectors and trace routes need the guest kernel to do, as kernel command-line
// parameters: report hung tasks soon and every time, accept sysrq, and (opt-in) panic with
// every task printed on an NMI.
//
//   std::vector<std::string> p = detect::kernel_params({.nmi_last_resort = true});
#pragma once

#include <string>
#include <vector>

#include "harness/util/timeouts.h"

namespace wedge::detect {

struct KernelParamsOptions {
  bool nmi_last_resort = false;  // an NMI panics the guest and prints every task
};

[[nodiscard]] inline std::vector<std::string> kernel_params(const KernelParamsOptions& options) {
  std::vector<std::string> params = {
      "sysctl.kernel.hung_task_timeout_secs=" + std::to_string(Timeouts::kHungTaskTimeoutS),
      "sysctl.kernel.hung_task_warnings=-1", "sysctl.kernel.sysrq=1"};
  if (options.nmi_last_resort) {
    // panic_print bit 0: every task's state and stack.
    params.push_back("sysctl.kernel.unknown_nmi_panic=1");
    params.push_back("sysctl.kernel.panic_print=1");
  }
  return params;
}

}  // namespace wedge::detect
