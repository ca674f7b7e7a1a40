// Where the vCPUs are: QEMU's HMP `info registers -a` output parsed into one VcpuState per
// CPU; a SymbolTable (symbol_table.h) names the instruction pointers.
// HLT=1 on every CPU of a hung guest means a sleeping deadlock; HLT=0 with RIP in reclaim
// means a livelock, which the kernel's hung-task detector cannot see.
//
//   WEDGE_TRY(auto cpus, traces::parse_info_registers(hmp_output));
//   WEDGE_TRY(auto symbols, traces::SymbolTable::from_kallsyms(kallsyms_text));
//   for (auto& c : cpus) fmt::print("CPU#{} {} at {}\n", c.cpu, c.halted ? "halted" : "running",
//                                   symbols.symbolize(c.rip));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/traces/symbol_table.h"
#include "harness/util/result.h"

namespace wedge::traces {

struct VcpuState {
  int cpu = 0;
  uint64_t rip = 0;
  bool halted = false;  // HLT=1: the CPU sits in hlt (idle)
  bool operator==(const VcpuState&) const = default;
};

// Parses `info registers -a` (sections headed "CPU#N") or plain `info registers` (one CPU,
// no header: cpu 0). Fails if no section has an RIP= value.
[[nodiscard]] Result<std::vector<VcpuState>> parse_info_registers(std::string_view text);

}  // namespace wedge::traces
