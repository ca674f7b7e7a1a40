// The kernel's symbols as a run knows them, so that vCPU instruction pointers can be named
// even when the guest agent no longer answers: the core kernel from its System.map moved by
// the guest's KASLR offset, plus the symbols of loaded modules (the module lines of the
// guest's /proc/kallsyms, or a module's symbol table read from guest memory).
//
//   WEDGE_TRY(auto map, traces::SymbolTable::from_kallsyms(system_map_text));
//   WEDGE_TRY(int64_t offset, traces::kaslr_offset(map, first_60k_of_proc_kallsyms));
//   traces::KernelSymbols symbols;
//   symbols.set_core(std::move(map), offset);
//   symbols.set_modules(std::move(module_table));  // SymbolTable of "...\t[nbd]" lines
//   symbols.lookup(rip);  // "wedge_crash_hardlock+0x2c/0x90 [wedge_crash]"
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/traces/symbol_table.h"
#include "harness/util/result.h"

namespace wedge::traces {

// How far the guest kernel was moved at boot: the address of _stext (or _text) in the
// beginning of the guest's /proc/kallsyms minus its address in the System.map. Fails when
// either lacks the symbol, or when the other text symbols of kallsyms_head do not sit at
// their System.map address plus that offset (a System.map of another build).
[[nodiscard]] Result<int64_t> kaslr_offset(const SymbolTable& system_map,
                                           std::string_view kallsyms_head);

// Module lines of a kallsyms listing ("ffffffffc0353000 t nbd_queue_rq\t[nbd]"), for a table
// of only the modules; an empty table if there are none.
[[nodiscard]] SymbolTable module_symbols_from_kallsyms(std::string_view module_lines);

// Copies share the (large) tables.
class KernelSymbols {
 public:
  // The core kernel: addresses in table are the guest's minus offset (a System.map and its
  // KASLR offset; the guest's own kallsyms with offset 0).
  void set_core(SymbolTable table, int64_t offset);
  // Replaces the module symbols taken from kallsyms.
  void set_modules(SymbolTable table);
  // One more module's symbols (read from guest memory); looked at after the others.
  void add_module(SymbolTable table);

  // The symbol holding addr: modules first, then the core kernel.
  [[nodiscard]] std::optional<std::string> lookup(uint64_t addr) const;

  [[nodiscard]] bool has_core() const { return core_ != nullptr; }
  [[nodiscard]] int64_t offset() const { return offset_; }
  [[nodiscard]] size_t module_symbols() const;

 private:
  std::shared_ptr<const SymbolTable> core_;
  int64_t offset_ = 0;
  std::vector<std::shared_ptr<const SymbolTable>> modules_;  // [0]: from kallsyms
};

}  // namespace wedge::traces
