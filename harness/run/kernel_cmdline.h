// The guest kernel's command line, built in one place from what each part of a run needs:
// the console (where and how much the kernel prints), the detectors and trace routes
// (detect/kernel_params.h), the storage drivers built into the kernel (their parameters), and
// last the scenario's own [guest] cmdline, which may override any of them.
//
//   spec.cmdline = kernel_cmdline({.detector = detect::kernel_params({}),
//                                  .drivers = storage::driver_cmdline(needs.drivers),
//                                  .scenario = scenario.guest.cmdline});
#pragma once

#include <string>
#include <vector>

namespace wedge::run {

// What the console parser needs: the serial console, every message level, no reboot on panic
// (the console keeps the whole oops), the interface name the agent configures.
inline constexpr const char* kConsoleParams = "console=ttyS0 loglevel=7 panic=0 net.ifnames=0";

struct KernelCmdlineNeeds {
  std::vector<std::string> detector;  // detect::kernel_params()
  std::string drivers;                // storage::driver_cmdline(): "nbd.nbds_max=4"
  std::string scenario;               // [guest] cmdline
};

// kConsoleParams, then the detector's, the drivers' and the scenario's, space-separated.
[[nodiscard]] std::string kernel_cmdline(const KernelCmdlineNeeds& needs);

}  // namespace wedge::run
