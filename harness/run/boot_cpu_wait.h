// How long the host's scheduler kept a boot waiting for a CPU, from the run delay the kernel
// counts per thread (/proc/PID/task/TID/schedstat: runnable, not running): libvirt's daemon and
// QEMU while libvirt starts the domain, then the guest's longest-waiting vCPU until the agent
// answers. A guest that boots beside others on a small host is slower by about this much; the
// report carries it so a slow boot says whether the host's load or wedge and libvirt made it
// slow (boot_times_test holds the rest of every boot to its bound).
//
//   BootCpuWait wait(daemon_pid);                    // just before the domain starts
//   wait.started(vm->qemu_pid(), domain_start_s);    // when libvirt returned
//   wait.ready(vm->qemu_pid());                      // at the agent's hello
//   report.boot_cpu_wait_s = wait.boot_wait_s();     // -1: unknown
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace wedge::run {

class BootCpuWait {
 public:
  // daemon: the process that starts guests (0: none known, its share counts as none).
  explicit BootCpuWait(pid_t daemon, std::filesystem::path proc = "/proc");

  // The domain started after domain_start_s of wall time; qemu is its QEMU process.
  void started(pid_t qemu, double domain_start_s);
  // The agent answered.
  void ready(pid_t qemu);

  // Of the domain start: the daemon's threads' and QEMU's run delay, summed over threads (an
  // upper bound when several waited at once), never more than the start's wall time. -1 when
  // the kernel keeps no schedstat or QEMU could not be read.
  [[nodiscard]] double domain_start_wait_s() const { return domain_start_wait_s_; }
  // Of the whole boot: the domain start's wait plus the longest-waiting vCPU's run delay from
  // then until the agent answered. -1 when unknown.
  [[nodiscard]] double boot_wait_s() const { return boot_wait_s_; }

 private:
  [[nodiscard]] std::optional<double> daemon_wait_s() const;

  pid_t daemon_;
  std::filesystem::path proc_;
  std::optional<double> daemon_wait_before_s_;
  std::optional<double> vcpu_wait_at_start_s_;
  double domain_start_wait_s_ = -1;
  double boot_wait_s_ = -1;
};

}  // namespace wedge::run
