// libFuzzer target: the System.map / kallsyms reader and lookups into what it built, plus
// the KASLR offset computed against the same text used as a kallsyms head.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "harness/traces/kernel_symbols.h"
#include "harness/traces/symbol_table.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto table = wedge::traces::SymbolTable::from_kallsyms(text);
  if (table) {
    uint64_t probe = 0;
    std::memcpy(&probe, data, std::min(size, sizeof probe));
    (void)table->lookup(probe);
    for (const auto& s : table->symbols()) (void)table->lookup(s.addr + 1);
    (void)wedge::traces::kaslr_offset(*table, text);
  }
  (void)wedge::traces::module_symbols_from_kallsyms(text);
  return 0;
}
