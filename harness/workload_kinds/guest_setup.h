// What every workload gets before it starts, whatever its kind: the [memory] caps on a cgroup
// v2 the workload runs in (the agent's cgroup-exec mode puts it there, no shell), and the
// [sysctl] vm.* knobs, written and read back for the report.
//
//   WEDGE_CHECK(workloads::make_workload_cgroup(guest, scenario.memory));
//   argv = workloads::in_cgroup(argv);
//   WEDGE_TRY(auto settings, workloads::apply_sysctls(guest, scenario.sysctl));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/storage/guest_ops.h"
#include "reports/report.h"

namespace wedge::workloads {

inline constexpr const char* kCgroupDir = "/sys/fs/cgroup/wedge";

// Enables the memory controller, creates kCgroupDir and sets memory.max, memory.high and
// memory.swap.max from the scenario (those it gives).
[[nodiscard]] Status make_workload_cgroup(storage::GuestOps& guest,
                                          const config::MemoryConfig& memory);

// argv run by the agent's cgroup-exec mode: it joins kCgroupDir, then execs argv.
[[nodiscard]] std::vector<std::string> in_cgroup(const std::vector<std::string>& argv);

// Writes each setting to its /proc/sys file and reads it back.
[[nodiscard]] Result<std::vector<reports::SysctlNumbers>> apply_sysctls(
    storage::GuestOps& guest, const std::vector<config::SysctlSetting>& settings);

// memory.events ("low 0\nhigh 3\nmax 12\noom 1\noom_kill 1\n") as name/count pairs.
[[nodiscard]] std::vector<std::pair<std::string, uint64_t>> parse_memory_events(
    std::string_view text);

}  // namespace wedge::workloads
