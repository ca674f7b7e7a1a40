// Stage 4 of a run: the guest boots. Describes the guest (its kernel command line built in one
// place, kernel_cmdline.h), starts it on the backend, and waits for the agent's hello. A guest
// that never says hello failed to boot, unless the host took it away (an infra error) or the
// run was interrupted.
//
//   vm::VmSpec spec = guest_spec(ctx, {&image, hv.kvm, &transport});
//   BootCpuWait cpu_wait(vm::daemon_pid_of(*hv.backend));
//   WEDGE_TRY(auto vm, start_guest(ctx, *hv.backend, spec, cpu_wait));
//   ... GuestSession session(*vm, ...);
//   WEDGE_TRY(BootOutput boot,
//             wait_until_ready(ctx, {&session, &host, vm.get(), &cpu_wait}, spec.console_log));
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/agent/messages.h"
#include "harness/run/boot_cpu_wait.h"
#include "harness/run/guest_session.h"
#include "harness/run/host_monitor.h"
#include "harness/run/run_context.h"
#include "harness/run/stage_image.h"
#include "harness/storage/transport.h"
#include "harness/vm/vm.h"

namespace wedge::run {

struct BootInput {
  const ImageOutput* image = nullptr;
  bool kvm = false;
  const storage::Transport* transport = nullptr;
};

// The guest of this run: name, size, kernel and command line, console and agent paths in the
// run directory, what the transport adds (disks, shared folders, host ports).
[[nodiscard]] vm::VmSpec guest_spec(const RunContext& ctx, const BootInput& input);

// Phase "boot": starts the guest and restarts ctx's clock at that moment. cpu_wait, made just
// before, learns the start's CPU wait (report.domain_start_cpu_wait_s).
[[nodiscard]] Result<std::unique_ptr<vm::Instance>> start_guest(RunContext& ctx,
                                                                vm::Backend& backend,
                                                                const vm::VmSpec& spec,
                                                                BootCpuWait& cpu_wait);

struct BootOutput {
  std::optional<agent::Hello> hello;        // the guest is ready
  std::optional<std::string> boot_failure;  // or why it never was (the kernel's panic title)
  double boot_s = -1;                       // guest start to hello
  double cpu_wait_s = -1;  // of boot_s, waiting for a host CPU (boot_cpu_wait.h); -1: unknown
};

struct ReadyInput {
  GuestSession* session = nullptr;
  HostMonitor* host = nullptr;
  vm::Instance* vm = nullptr;  // its QEMU's counters end the boot's CPU wait
  BootCpuWait* cpu_wait = nullptr;
};

// Waits for the agent's hello. An error: interrupted, or the host failed (host.failure()).
[[nodiscard]] Result<BootOutput> wait_until_ready(RunContext& ctx, const ReadyInput& input,
                                                  const std::filesystem::path& console_log);

}  // namespace wedge::run
