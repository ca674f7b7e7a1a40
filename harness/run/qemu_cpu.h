// QEMU's CPU time as the host scheduler counts it, read from /proc: all threads, the vCPU
// threads alone, and how long they waited for a CPU. It tells a halted guest (vCPUs asleep),
// a guest the host starved (QEMU runnable but not running) and a busy one apart.
//
//   if (auto cpu = run::read_qemu_cpu(vm.qemu_pid())) sample.qemu_cpu_s = cpu->cpu_s;
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string_view>

namespace wedge::run {

struct QemuCpu {
  double cpu_s = 0;   // CPU time of every thread
  double wait_s = 0;  // time threads were runnable but waited (schedstat run delay)
  bool wait_known = false;
  double vcpu_cpu_s = 0;   // CPU time of the vCPU threads ("CPU 0/KVM", "CPU 1/TCG")
  double vcpu_wait_s = 0;  // the longest run delay of any one vCPU thread (when wait_known)
  int vcpus = 0;
};

// One thread's /proc/PID/task/TID/schedstat ("cpu_ns wait_ns slices"): seconds on the CPU
// and waiting for it; nullopt unless it holds two numbers.
struct ThreadTimes {
  double cpu_s = 0;
  double wait_s = 0;
};
[[nodiscard]] std::optional<ThreadTimes> parse_schedstat(std::string_view text);

// utime + stime of a /proc/.../stat line in seconds (comm may hold spaces and parentheses);
// nullopt when malformed. ticks_per_s: sysconf(_SC_CLK_TCK).
[[nodiscard]] std::optional<double> parse_stat_cpu_s(std::string_view text, long ticks_per_s);

// A QEMU thread name that is a vCPU ("CPU 0/KVM", "CPU 12/TCG").
[[nodiscard]] bool is_vcpu_thread(std::string_view comm);

// Sums over the threads of pid under proc (a fake tree in tests); nullopt when pid is gone. Any
// process may be read (the boot's CPU wait reads libvirtd too); only QEMU has vCPU threads.
// Reads at most a few files per thread, never blocks on the guest.
[[nodiscard]] std::optional<QemuCpu> read_qemu_cpu(pid_t pid,
                                                   const std::filesystem::path& proc = "/proc");

}  // namespace wedge::run
