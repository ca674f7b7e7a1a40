// Chooses KVM or TCG for a run. "auto" boots a short KVM probe (a /dev/kvm node proves
// nothing: nested KVM here hangs in the firmware) and remembers the answer for a day.
#pragma once

#include <filesystem>
#include <string>

#include "harness/run/progress.h"
#include "harness/util/result.h"
#include "harness/vm/vm.h"
#include "vm-images/image.h"

namespace wedge::run {

// accel: "auto", "kvm" or "tcg". Returns true for KVM.
[[nodiscard]] Result<bool> choose_accel(const std::string& accel, vm::Backend& backend,
                                        const image::GuestImage& image,
                                        const std::filesystem::path& cache_dir, Progress& progress);

}  // namespace wedge::run
