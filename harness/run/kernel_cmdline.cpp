// Implementation of kernel_cmdline.h.
#include "harness/run/kernel_cmdline.h"

namespace wedge::run {

std::string kernel_cmdline(const KernelCmdlineNeeds& needs) {
  std::string cmdline = kConsoleParams;
  auto add = [&](const std::string& part) {
    if (!part.empty()) cmdline += " " + part;
  };
  for (const std::string& param : needs.detector) add(param);
  add(needs.drivers);
  add(needs.scenario);
  return cmdline;
}

}  // namespace wedge::run
