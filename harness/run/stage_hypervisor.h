// Stage 2 of a run: the hypervisor. Connects the run's VM backend, removes what dead wedges
// left behind, and chooses KVM or TCG (which scales every timeout).
//
//   WEDGE_TRY(HypervisorOutput hv, open_hypervisor(ctx, backend_source, image.image));
//   ctx.timeouts = hv.timeouts;
#pragma once

#include <memory>
#include <string>

#include "harness/run/run_context.h"
#include "harness/vm/vm.h"
#include "vm-images/image.h"

namespace wedge::run {

struct HypervisorOutput {
  std::unique_ptr<vm::Backend> backend;
  bool kvm = false;
  Timeouts timeouts;  // for the chosen accelerator
};

// Phases: the source's ("libvirt connection"), then "kvm probe". The backend's versions go
// into ctx.report; leftovers reaped, and the problems met, into its host events.
[[nodiscard]] Result<HypervisorOutput> open_hypervisor(RunContext& ctx,
                                                       const vm::BackendSource& source,
                                                       const image::GuestImage& image);

}  // namespace wedge::run
