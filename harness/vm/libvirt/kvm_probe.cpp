// Implementation of kvm_probe.h.
#include "harness/vm/libvirt/kvm_probe.h"

#include <unistd.h>

#include <thread>

#include "harness/util/interrupt.h"
#include "harness/util/owner.h"

namespace wedge::vm {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

Result<bool> probe_kvm(Backend& backend, const fs::path& kernel, const fs::path& initrd,
                       const fs::path& scratch_dir, milliseconds timeout) {
  for (const fs::path& file : {kernel, initrd}) {
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
      return errno_error(fmt::format("kvm probe: {}", file.string()), errno);
    }
  }
  std::error_code ec;
  fs::create_directories(scratch_dir, ec);
  if (ec) return make_error("kvm probe: creating {}: {}", scratch_dir.string(), ec.message());
  fs::path dir = fs::absolute(scratch_dir, ec);
  if (ec) return make_error("kvm probe: {}: {}", scratch_dir.string(), ec.message());

  VmSpec spec;
  spec.name = fmt::format("{}kvm-probe-{}", kDomainPrefix, ::getpid());
  spec.memory_mib = 128;
  spec.kvm = true;
  spec.kernel = fs::absolute(kernel);
  if (!initrd.empty()) spec.initrd = fs::absolute(initrd);
  spec.cmdline = "console=ttyS0";
  spec.console_log = dir / "kvm-probe-console.log";
  spec.agent_socket = dir / "kvm-probe-agent.sock";
  spec.owner = self_owner().to_string();

  auto started = backend.start(spec);
  if (!started) return false;  // a kvm-type guest cannot start here: TCG it is
  std::unique_ptr<Instance> guest = std::move(*started);

  bool booted = false;
  std::string console;
  auto deadline = steady_clock::now() + timeout;
  while (!booted && steady_clock::now() < deadline && !interrupted()) {
    auto chunk = guest->read_console();
    if (!chunk) break;
    console += *chunk;
    booted = console.find("Linux version") != std::string::npos;
    if (!booted) std::this_thread::sleep_for(milliseconds(100));
  }
  if (auto destroyed = guest->destroy(); !destroyed) {
    return destroyed.error().context("kvm probe: destroying probe guest");
  }
  if (interrupted()) return interruption_error().context("kvm probe");
  return booted;
}

}  // namespace wedge::vm
