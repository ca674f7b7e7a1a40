// Implementation of boot_cpu_wait.h.
#include "harness/run/boot_cpu_wait.h"

#include <algorithm>

#include "harness/run/qemu_cpu.h"

namespace wedge::run {

BootCpuWait::BootCpuWait(pid_t daemon, std::filesystem::path proc)
    : daemon_(daemon), proc_(std::move(proc)) {
  daemon_wait_before_s_ = daemon_wait_s();
}

std::optional<double> BootCpuWait::daemon_wait_s() const {
  if (daemon_ <= 0) return std::nullopt;
  auto cpu = read_qemu_cpu(daemon_, proc_);
  if (!cpu || !cpu->wait_known) return std::nullopt;
  return cpu->wait_s;
}

void BootCpuWait::started(pid_t qemu, double domain_start_s) {
  auto cpu = read_qemu_cpu(qemu, proc_);
  if (!cpu || !cpu->wait_known) return;
  // QEMU's counters start with its process, inside the domain start.
  double wait_s = cpu->wait_s;
  auto daemon_after_s = daemon_wait_s();
  if (daemon_wait_before_s_ && daemon_after_s) {
    wait_s += std::max(0.0, *daemon_after_s - *daemon_wait_before_s_);
  }
  domain_start_wait_s_ = std::clamp(wait_s, 0.0, std::max(0.0, domain_start_s));
  vcpu_wait_at_start_s_ = cpu->vcpu_wait_s;
}

void BootCpuWait::ready(pid_t qemu) {
  if (!vcpu_wait_at_start_s_) return;
  auto cpu = read_qemu_cpu(qemu, proc_);
  if (!cpu || !cpu->wait_known) return;
  boot_wait_s_ = domain_start_wait_s_ + std::max(0.0, cpu->vcpu_wait_s - *vcpu_wait_at_start_s_);
}

}  // namespace wedge::run
