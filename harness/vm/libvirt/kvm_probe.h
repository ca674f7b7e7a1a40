// Decides whether KVM really works on this host by booting a small KVM guest. /dev/kvm can
// exist and still be useless (nested KVM here creates VMs whose CPUs never get past the
// firmware), so only a kernel that prints its banner counts.
//
//   WEDGE_TRY(bool kvm, vm::probe_kvm(backend, kernel, initrd, run_dir, timeouts.kvm_probe));
//   spec.kvm = kvm;   // false: TCG
#pragma once

#include <chrono>
#include <filesystem>

#include "harness/util/result.h"
#include "harness/vm/vm.h"

namespace wedge::vm {

// Starts a 128 MiB kvm-type guest from kernel (and initrd, if not empty) with
// "console=ttyS0" and returns true once its console shows "Linux version" within timeout.
// False when it does not, or when the kvm-type guest cannot even start (no /dev/kvm, no
// permission): both mean "use TCG". Errors are reserved for bad inputs (missing kernel,
// unusable scratch_dir). The guest is always destroyed before returning. scratch_dir holds
// its console log and agent socket.
[[nodiscard]] Result<bool> probe_kvm(Backend& backend, const std::filesystem::path& kernel,
                                     const std::filesystem::path& initrd,
                                     const std::filesystem::path& scratch_dir,
                                     std::chrono::milliseconds timeout);

}  // namespace wedge::vm
