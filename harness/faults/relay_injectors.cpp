// Network faults in wedge's TCP relay in front of the host server (the host kernel has no
// netem): delay, rate via relay, blackhole, server-stall via relay, reset. Each changes only
// its own field of the relay's faults, so relay faults overlap.
#include "harness/faults/injector_family.h"

namespace wedge::faults {

namespace {

using std::chrono::milliseconds;

Status edit_relay(storage::TcpRelay* relay,
                  const std::function<void(storage::RelayFaults&)>& edit) {
  storage::RelayFaults faults = relay->faults();
  edit(faults);
  relay->set_faults(faults);
  return ok_status();
}

}  // namespace

InjectorResult make_relay_injector(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  if (!server) return missing_target(description, "relay");
  storage::TcpRelay* relay = &server->relay();
  std::function<void(storage::RelayFaults&, bool)> apply;
  switch (fault.kind) {
    case config::FaultKind::kReset:
      return make_function_injector(description, [relay] {
        relay->reset_connections();
        return ok_status();
      });
    case config::FaultKind::kServerStall:
      apply = [](storage::RelayFaults& f, bool on) { f.stall = on; };
      break;
    case config::FaultKind::kDelay: {
      milliseconds delay(fault.delay_ms);
      apply = [delay](storage::RelayFaults& f, bool on) { f.delay = on ? delay : milliseconds(0); };
      break;
    }
    case config::FaultKind::kRate: {
      uint64_t bytes = static_cast<uint64_t>(fault.rate_kib_s) * 1024;
      apply = [bytes](storage::RelayFaults& f, bool on) { f.rate_bytes_per_s = on ? bytes : 0; };
      break;
    }
    case config::FaultKind::kBlackhole:
      apply = [](storage::RelayFaults& f, bool on) { f.blackhole = on; };
      break;
    default:
      return make_error("{}: not a relay fault", description);
  }
  return make_function_injector(
      description, [relay, apply] { return edit_relay(relay, [&](auto& f) { apply(f, true); }); },
      [relay, apply] { return edit_relay(relay, [&](auto& f) { apply(f, false); }); });
}

}  // namespace wedge::faults
