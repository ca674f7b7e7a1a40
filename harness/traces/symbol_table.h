// Kernel text symbols by address, to name instruction pointers: from a kallsyms listing (the
// guest's /proc/kallsyms, or a System.map, which has the same format) or from symbols found
// elsewhere (a module's own symbol table read from guest memory, with sizes).
//
//   WEDGE_TRY(auto table, traces::SymbolTable::from_kallsyms(kallsyms_text));
//   table.symbolize(0xffffffffa1d4c8e3);          // "default_idle+0x13/0x20"
//   auto stext = table.address_of("_stext");      // for the KASLR offset
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::traces {

class SymbolTable {
 public:
  struct Symbol {
    uint64_t addr = 0;
    uint64_t size = 0;  // 0: unknown (kallsyms): the symbol ends where the next one starts
    std::string name;
    std::string module;  // "" for the core kernel
  };

  SymbolTable() = default;

  // Parses "ffffffff81000000 T _stext" lines ("\t[module]" suffixes kept). Text symbols
  // (t/T) name addresses; every other symbol only marks where the text before it ends.
  // Fails when no text symbol has a non-zero address: kallsyms read without root (or with
  // kptr_restrict) shows every address as 0. A cut-off last line is ignored.
  [[nodiscard]] static Result<SymbolTable> from_kallsyms(std::string_view text);
  // Text symbols known with their sizes (a module's symtab).
  [[nodiscard]] static SymbolTable from_symbols(std::vector<Symbol> text_symbols);

  // "func+0x1a/0x40" (offset into the symbol / its size), with " [module]" for module
  // symbols; nullopt when addr is before the first symbol or past the end of the last one.
  // Of several names at one address, real ones come before linker-script markers
  // (default_idle, not __cpuidle_text_start), then those with fewer leading underscores.
  // Without a size, a symbol ends at the next text symbol of its module, else at the next
  // symbol of any kind; the last one has no known end and matches only exactly.
  [[nodiscard]] std::optional<std::string> lookup(uint64_t addr) const;
  // lookup(addr), or "0x..." when it finds nothing.
  [[nodiscard]] std::string symbolize(uint64_t addr) const;
  // The address of the first text symbol called name.
  [[nodiscard]] std::optional<uint64_t> address_of(std::string_view name) const;

  [[nodiscard]] const std::vector<Symbol>& symbols() const { return symbols_; }
  [[nodiscard]] size_t size() const { return symbols_.size(); }
  [[nodiscard]] bool empty() const { return symbols_.empty(); }

 private:
  void sort();

  std::vector<Symbol> symbols_;    // text, by address; of several at one address, the one
                                   // kallsyms would show first
  std::vector<uint64_t> markers_;  // addresses of the other symbols, sorted
};

}  // namespace wedge::traces
