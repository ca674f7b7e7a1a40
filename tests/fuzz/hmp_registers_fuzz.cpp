// libFuzzer target: QEMU monitor output parsers on arbitrary text: `info registers -a`, the
// `x` memory dump reader, and the module symbol scan over guest memory served from the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "harness/traces/module_memory.h"
#include "harness/traces/registers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)wedge::traces::parse_info_registers(text);
  (void)wedge::traces::parse_hmp_memory(text, 0xffffffffc0000000ULL, 64);
  // Guest memory is guest-controlled too: serve reads from the input, zero past its end.
  constexpr uint64_t kBase = 0xffffffffc0000000ULL;
  auto read = [&](uint64_t addr, size_t len) -> wedge::Result<std::string> {
    std::string out(len, '\0');
    for (size_t i = 0; i < len; ++i) {
      uint64_t at = addr - kBase + i;
      if (addr >= kBase && at < size) out[i] = static_cast<char>(data[at]);
    }
    return out;
  };
  (void)wedge::traces::module_symbols_from_memory(kBase + 0x100, read, 64 * 1024);
  return 0;
}
