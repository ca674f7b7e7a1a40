// Whether libvirt keeps QEMU's capabilities cached between calls. When its views of KVM
// disagree (/dev/kvm open to the QEMU user, but QEMU running as that user cannot initialise
// KVM) libvirt re-probes QEMU on every call that needs them, and each such call waits seconds:
// guests start slowly and wedge's KVM probe boot overruns. ci/setup.sh repairs the known case;
// wedge doctor reports what is left.
//
//   auto holds = capability_cache_holds(kSystemCapabilityCache,
//                                        [&] { return backend.fetch_domain_capabilities(); });
#pragma once

#include <filesystem>
#include <functional>

#include "harness/util/result.h"

namespace wedge::vm {

// Where the system libvirtd (qemu:///system) caches one XML file per QEMU binary.
inline constexpr const char* kSystemCapabilityCache = "/var/cache/libvirt/qemu/capabilities";

// Calls lookup twice and answers whether the second call left every cache file in cache_dir
// as the first one wrote it (no re-probe). An error when a lookup fails or the first call
// leaves no cache file to compare.
[[nodiscard]] Result<bool> capability_cache_holds(const std::filesystem::path& cache_dir,
                                                  const std::function<Status()>& lookup);

}  // namespace wedge::vm
