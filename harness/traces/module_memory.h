// A module's symbols read from guest memory (QEMU monitor `x`), for a vCPU stopped in a module
// loaded after the run last read /proc/kallsyms: the agent may be dead by then. The kernel
// keeps each module's symbols for kallsyms in a struct mod_kallsyms {Elf_Sym *symtab;
// unsigned int num_symtab; char *strtab; ...} inside its struct module (core_kallsyms), and
// lays the strings out right after the symbols: strtab == symtab + 24 * num_symtab. Before
// 6.4, x86 puts struct module in the allocation that holds the module's code, after the code;
// from 6.4 in its own allocation, normally the next one. So the scan reads forward from the
// page holding the RIP (skipping unreadable guard pages) until it finds such a struct whose
// symbols hold the RIP. Symbol sizes come from the ELF symbols, the module name from the
// struct module of __this_module.
//
//   traces::ReadMemory read = [&](uint64_t addr, size_t len) -> Result<std::string> {
//     WEDGE_TRY(auto text, vm.monitor_command(traces::hmp_memory_command(addr, len)));
//     return traces::parse_hmp_memory(text, addr, len);
//   };
//   WEDGE_TRY(auto found, traces::module_symbols_from_memory(rip, read));
//   found.symbols.symbolize(rip);  // "wedge_crash_hardlock+0x2c/0x90 [wedge_crash]"
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "harness/traces/symbol_table.h"
#include "harness/util/result.h"

namespace wedge::traces {

// Guest virtual memory: exactly len bytes at addr, or an error (unmapped, monitor gone).
using ReadMemory = std::function<Result<std::string>(uint64_t addr, size_t len)>;

struct ModuleScan {
  SymbolTable symbols;       // the module's text symbols, with sizes
  std::string module;        // "" when __this_module was not among its symbols
  uint64_t kallsyms_at = 0;  // where its struct mod_kallsyms was found
  size_t bytes_scanned = 0;
};

// Scans up to max_scan bytes from the page holding rip.
[[nodiscard]] Result<ModuleScan> module_symbols_from_memory(uint64_t rip, const ReadMemory& read,
                                                            size_t max_scan = 256 * 1024);

// The HMP command that reads len bytes (rounded up to 8) at addr: "x /512gx 0xffff...".
[[nodiscard]] std::string hmp_memory_command(uint64_t addr, size_t len);
// The bytes of its answer ("ffffffffc0353000: 0x0000000000000000 0x00000000000000ff" lines,
// little-endian quadwords), cut to len. Fails when the answer is for another address, or
// QEMU could not read all of it ("Cannot access memory").
[[nodiscard]] Result<std::string> parse_hmp_memory(std::string_view text, uint64_t addr,
                                                   size_t len);

}  // namespace wedge::traces
