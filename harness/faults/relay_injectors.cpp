// Network faults in wedge's TCP relay in front of the host server (the host kernel has no
// netem): delay, rate via relay, blackhole, reset, and the toggle every lasting relay fault
// (server-stall via relay too) is made of. Each changes only its own field of the relay's
// faults, so relay faults overlap.
#include "harness/faults/injector_family.h"

namespace wedge::faults {

using std::chrono::milliseconds;

InjectorResult make_relay_toggle(const config::FaultConfig& fault, const InjectorTargets& targets,
                                 std::function<void(storage::RelayFaults&, bool on)> apply) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "relay");
  storage::TcpRelay* relay = &server->relay();
  auto edit = [relay, apply](bool on) {
    storage::RelayFaults faults = relay->faults();
    apply(faults, on);
    relay->set_faults(faults);
    return ok_status();
  };
  return make_function_injector(
      description, [edit] { return edit(true); }, [edit] { return edit(false); });
}

InjectorResult make_reset_injector(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "relay");
  storage::TcpRelay* relay = &server->relay();
  return make_function_injector(description, [relay] {
    relay->reset_connections();
    return ok_status();
  });
}

InjectorResult make_delay_injector(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  milliseconds delay(fault.int_param("delay_ms"));
  return make_relay_toggle(fault, targets, [delay](storage::RelayFaults& f, bool on) {
    f.delay = on ? delay : milliseconds(0);
  });
}

InjectorResult make_rate_injector(const config::FaultConfig& fault,
                                  const InjectorTargets& targets) {
  if (fault.via == "nbdkit") return make_rate_by_nbdkit(fault, targets);
  uint64_t bytes = static_cast<uint64_t>(fault.int_param("rate_kib_s")) * 1024;
  return make_relay_toggle(fault, targets, [bytes](storage::RelayFaults& f, bool on) {
    f.rate_bytes_per_s = on ? bytes : 0;
  });
}

InjectorResult make_blackhole_injector(const config::FaultConfig& fault,
                                       const InjectorTargets& targets) {
  return make_relay_toggle(fault, targets,
                           [](storage::RelayFaults& f, bool on) { f.blackhole = on; });
}

}  // namespace wedge::faults
