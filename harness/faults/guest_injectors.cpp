// Faults that squeeze the guest itself: balloon (guest memory through virtio-balloon) and
// memory-max (the workload cgroup's memory.max).
#include "harness/faults/injector_family.h"

namespace wedge::faults {

InjectorResult make_balloon_injector(const config::FaultConfig& fault,
                                     const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  if (!targets.set_balloon_mib || targets.guest_memory_mib <= 0) {
    return missing_target(description, "guest balloon");
  }
  auto set = targets.set_balloon_mib;
  int shrink = fault.int_param("balloon_mib");
  int restore = targets.guest_memory_mib;
  return make_function_injector(
      description, [set, shrink] { return set(shrink); }, [set, restore] { return set(restore); });
}

InjectorResult make_memory_max_injector(const config::FaultConfig& fault,
                                        const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  if (!targets.set_memory_max) return missing_target(description, "workload cgroup");
  auto set = targets.set_memory_max;
  int limit = fault.int_param("memory_max_mib");
  return make_function_injector(
      description, [set, limit] { return set(limit); }, [set] { return set(std::nullopt); });
}

}  // namespace wedge::faults
