// Where the vCPUs are: QEMU's HMP `info registers -a` output parsed into one VcpuState per
// CPU, and a SymbolTable from the guest's /proc/kallsyms to name the instruction pointers.
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

// Text symbols (t/T) of a kallsyms listing, sorted by address.
class SymbolTable {
 public:
  // Parses "ffffffff81000000 T _stext" lines ("\t[module]" suffixes kept). Fails when no
  // text symbol has a non-zero address: kallsyms read without root (or with kptr_restrict)
  // shows every address as 0.
  [[nodiscard]] static Result<SymbolTable> from_kallsyms(std::string_view text);

  // "func+0x1a/0x40" (offset into the symbol / its size up to the next text symbol), with
  // " [module]" for module symbols; "0x..." when addr is before the first symbol or past the
  // last one.
  [[nodiscard]] std::string symbolize(uint64_t addr) const;

  [[nodiscard]] size_t size() const { return symbols_.size(); }

 private:
  struct Symbol {
    uint64_t addr = 0;
    std::string name;
    std::string module;
  };
  std::vector<Symbol> symbols_;  // by address; of several at one address, the first listed
};

}  // namespace wedge::traces
