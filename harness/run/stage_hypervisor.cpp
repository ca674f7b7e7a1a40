// Implementation of stage_hypervisor.h.
#include "harness/run/stage_hypervisor.h"

#include "harness/run/accel.h"
#include "harness/run/reaper.h"
#include "harness/util/interrupt.h"

namespace wedge::run {

Result<HypervisorOutput> open_hypervisor(RunContext& ctx, const vm::BackendSource& source,
                                         const image::GuestImage& image) {
  HypervisorOutput out;
  ctx.enter(source.phase);
  WEDGE_TRY(out.backend, source.connect());
  // Into the report at once: they belong there even when the accelerator cannot be chosen.
  if (auto* versions = vm::find<vm::VersionInfo>(*out.backend)) {
    ctx.report.qemu_version = versions->qemu_version();
    ctx.report.libvirt_version = versions->libvirt_version();
  }
  if (ctx.options.reap_leftovers) {
    ReapOptions o;
    o.backend = out.backend.get();
    o.cache_dirs = image_cache_temp_parents(ctx.options.cache_dir);
    Reaped reaped = reap_leftovers(o);
    for (const auto& line : reaped.removed) ctx.note_host_event("removed leftover " + line);
    for (const auto& line : reaped.problems) {
      ctx.note_host_event("could not remove leftover: " + line);
    }
  }
  ctx.enter("kvm probe");
  WEDGE_TRY(out.kvm, choose_accel(ctx.options.accel, *out.backend, image, ctx.options.cache_dir,
                                  ctx.progress));
  if (interrupted()) return interruption_error();
  out.timeouts = Timeouts::for_accel(!out.kvm);
  return out;
}

}  // namespace wedge::run
