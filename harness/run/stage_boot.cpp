// Implementation of stage_boot.h.
#include "harness/run/stage_boot.h"

#include "harness/console/parser.h"
#include "harness/detect/kernel_params.h"
#include "harness/run/kernel_cmdline.h"
#include "harness/run/run_files.h"
#include "harness/storage/driver.h"
#include "harness/storage/ports.h"
#include "harness/util/files.h"
#include "harness/util/interrupt.h"
#include "harness/util/owner.h"

namespace wedge::run {

vm::VmSpec guest_spec(const RunContext& ctx, const BootInput& input) {
  const config::Scenario& scenario = ctx.scenario;
  vm::VmSpec spec;
  spec.name = "wedge-" + ctx.report.run_id;
  spec.memory_mib = scenario.guest.memory_mib;
  spec.vcpus = scenario.guest.vcpus;
  spec.nic_model = config::name_of(scenario.guest.nic);
  spec.kvm = input.kvm;
  spec.kernel = input.image->image.boot_kernel;
  spec.initrd = input.image->initrd;
  // Built-in drivers take their parameters here ("nbd.nbds_max=4"); modules, from modprobe.
  spec.cmdline = kernel_cmdline(
      {.detector = detect::kernel_params({.nmi_last_resort = ctx.options.nmi_last_resort}),
       .drivers = storage::driver_cmdline(input.image->drivers),
       .scenario = scenario.guest.cmdline});
  spec.keep_after_exit = ctx.options.keep_wedged;
  if (input.transport != nullptr) input.transport->adjust_vm(spec);
  spec.console_log = ctx.run_dir / kConsoleLog;
  spec.agent_socket = ctx.run_dir / kAgentSocket;
  spec.owner = self_owner().to_string();
  return spec;
}

Result<std::unique_ptr<vm::Instance>> start_guest(RunContext& ctx, vm::Backend& backend,
                                                  const vm::VmSpec& spec, BootCpuWait& cpu_wait) {
  if (interrupted()) return interruption_error();
  ctx.enter("boot");
  ctx.progress.step(fmt::format("booting {} ({} MiB, {} vCPU, {})", spec.name, spec.memory_mib,
                                spec.vcpus, spec.kvm ? "kvm" : "tcg"));
  ctx.t0 = std::chrono::steady_clock::now();
  auto vm = backend.start(spec).context("starting the guest");
  if (!vm) return vm;
  // The host's share of the boot: 60 s and more where libvirt re-probes QEMU (issue 17).
  ctx.report.domain_start_s = ctx.now_s();
  cpu_wait.started(vm::qemu_pid_of(**vm), ctx.report.domain_start_s);
  ctx.report.domain_start_cpu_wait_s = cpu_wait.domain_start_wait_s();
  return vm;
}

Result<BootOutput> wait_until_ready(RunContext& ctx, const ReadyInput& input,
                                    const std::filesystem::path& console_log) {
  GuestSession& session = *input.session;
  HostMonitor& host = *input.host;
  BootOutput out;
  auto hello = session.wait_for_hello(ctx.timeouts.boot());
  if (!hello && interrupted()) return hello.error();
  // A guest that QEMU's death, libvirt or a full disk took away never failed to boot.
  if (!hello && host.failed(ctx.now_s(), nullptr)) return hello.error().context(*host.failure());
  if (!hello) {
    auto console = read_file(console_log);
    auto events = console::parse_events(console.ok() ? *console : "");
    std::string why = hello.error().message();
    for (const auto& e : events) {
      if (e.kind == console::EventKind::kPanic) why = e.title;
    }
    out.boot_failure = why;
    ctx.progress.step("boot failed: " + why + "; console ends with:" + "\n" +
                      storage::log_tail(console_log, 8));
    return out;
  }
  out.boot_s = ctx.now_s();
  out.hello = *hello;
  input.cpu_wait->ready(vm::qemu_pid_of(*input.vm));
  out.cpu_wait_s = input.cpu_wait->boot_wait_s();
  const std::string waited =
      out.cpu_wait_s < 0 ? "" : fmt::format("; {:.1f} s waiting for a host CPU", out.cpu_wait_s);
  ctx.progress.step(
      fmt::format("guest ready in {:.1f} s (libvirt start {:.1f} s{}): kernel {}, agent RSS {} KiB "
                  "(locked {} KiB)",
                  out.boot_s, ctx.report.domain_start_s, waited, hello->kernel_release,
                  hello->rss_kb, hello->memlocked_kb));
  return out;
}

}  // namespace wedge::run
