// The injector of kind = "server-squeeze": sets the server guest's balloon to memory_mib while
// the fault lasts and back to the guest's full memory after.
#include "harness/faults/injector_family.h"
#include "harness/storage/server_guest.h"

namespace wedge::faults {

InjectorResult make_server_squeeze_injector(const config::FaultConfig& fault,
                                            const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  storage::ServerGuest* guest = server ? server->server_guest() : nullptr;
  if (!guest) return missing_target(description, "server guest");
  const int mib = static_cast<int>(fault.int_param("memory_mib"));
  const int full = guest->memory_mib();
  return make_function_injector(
      description, [guest, mib] { return guest->set_memory_mib(mib); },
      [guest, full] { return guest->set_memory_mib(full); });
}

}  // namespace wedge::faults
