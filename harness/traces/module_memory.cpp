// Implementation of module_memory.h: a page-by-page forward scan for struct mod_kallsyms, then
// the decoding of the Elf64_Sym array and its strings.
#include "harness/traces/module_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace wedge::traces {

namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kSymSize = 24;          // sizeof(Elf64_Sym)
constexpr uint32_t kMaxSymbols = 20000;  // far more than any module has
constexpr size_t kMaxStrtab = 1 << 20;
constexpr size_t kNameOffset = 24;  // struct module: state, list, then name[]
constexpr size_t kNameLen = 56;     // MODULE_NAME_LEN on 64-bit
constexpr uint8_t kSttFunc = 2;

// Little-endian integers of `width` bytes at b[at].
uint64_t load_le(std::string_view b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = width; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[at + i]);
  return v;
}
uint64_t load_u64(std::string_view b, size_t at) { return load_le(b, at, 8); }
uint32_t load_u32(std::string_view b, size_t at) {
  return static_cast<uint32_t>(load_le(b, at, 4));
}

bool kernel_address(uint64_t v) { return v >= 0xffff800000000000ULL; }

// A NUL-terminated string at offset in bytes (empty if it runs off the end).
std::string_view c_string(std::string_view bytes, size_t offset) {
  if (offset >= bytes.size()) return {};
  std::string_view rest = bytes.substr(offset);
  size_t nul = rest.find('\0');
  return nul == std::string_view::npos ? std::string_view() : rest.substr(0, nul);
}

// Decodes the symbols a struct mod_kallsyms points at; fails if they do not look like one.
Result<ModuleScan> decode(uint64_t symtab, uint32_t count, uint64_t strtab,
                          const ReadMemory& read) {
  WEDGE_TRY(std::string syms, read(symtab, size_t{count} * kSymSize));
  // The first entry is ELF's null symbol.
  if (syms.find_first_not_of('\0') < kSymSize) return make_error("symbol 0 is not null");
  uint32_t max_name = 0;
  for (uint32_t i = 1; i < count; ++i) max_name = std::max(max_name, load_u32(syms, i * kSymSize));
  if (max_name == 0 || max_name >= kMaxStrtab) return make_error("no plausible string table");
  // Up to the last name, then that name in pieces that do not cross a page: the strings may
  // end right before an unmapped page.
  WEDGE_TRY(std::string strings, read(strtab, max_name));
  for (uint64_t at = strtab + max_name; strings.find('\0', max_name) == std::string::npos;) {
    if (strings.size() > size_t{max_name} + 4096) return make_error("unterminated symbol name");
    size_t piece = static_cast<size_t>(std::min<uint64_t>(256, kPage - at % kPage));
    WEDGE_TRY(std::string more, read(at, piece));
    strings += more;
    at += piece;
  }
  ModuleScan scan;
  std::vector<SymbolTable::Symbol> text;
  uint64_t this_module = 0;
  for (uint32_t i = 1; i < count; ++i) {
    size_t at = size_t{i} * kSymSize;
    std::string_view name = c_string(strings, load_u32(syms, at));
    uint8_t info = static_cast<uint8_t>(syms[at + 4]);
    uint64_t value = load_u64(syms, at + 8), size = load_u64(syms, at + 16);
    if (name == "__this_module") this_module = value;
    // Kernels before typetab (5.x) kept kallsyms' type letter in st_info.
    bool is_text = (info & 0xf) == kSttFunc || info == 't' || info == 'T';
    if (name.empty() || !is_text || !kernel_address(value)) continue;
    text.push_back({value, size, std::string(name), ""});
  }
  if (text.empty()) return make_error("no function symbols");
  if (this_module != 0) {
    if (auto bytes = read(this_module + kNameOffset, kNameLen)) {
      std::string_view name = c_string(*bytes, 0);
      bool printable = !name.empty() && std::all_of(name.begin(), name.end(),
                                                    [](char c) { return c > ' ' && c < 127; });
      if (printable) scan.module = std::string(name);
    }
  }
  for (auto& s : text) s.module = scan.module;
  scan.symbols = SymbolTable::from_symbols(std::move(text));
  return scan;
}

}  // namespace

Result<ModuleScan> module_symbols_from_memory(uint64_t rip, const ReadMemory& read,
                                              size_t max_scan) {
  uint64_t first_page = rip & ~(kPage - 1);
  std::string window;  // contiguous readable bytes, from window_start
  uint64_t window_start = 0;
  size_t scanned_to = 0;  // offset in window of the next candidate to look at
  size_t readable = 0;
  for (uint64_t off = 0; off < max_scan; off += kPage) {
    auto page = read(first_page + off, kPage);
    if (!page) {
      window.clear();  // a guard page: what follows is another allocation
      scanned_to = 0;
      continue;
    }
    readable += kPage;
    if (window.empty()) window_start = first_page + off;
    window += *page;
    for (; scanned_to + 24 <= window.size(); scanned_to += 8) {
      uint64_t symtab = load_u64(window, scanned_to);
      uint64_t count_word = load_u64(window, scanned_to + 8);
      uint64_t strtab = load_u64(window, scanned_to + 16);
      uint32_t count = static_cast<uint32_t>(count_word);
      if (!kernel_address(symtab) || count_word >> 32 != 0 || count < 2 || count > kMaxSymbols ||
          strtab != symtab + uint64_t{count} * kSymSize) {
        continue;
      }
      auto scan = decode(symtab, count, strtab, read);
      if (!scan || !scan->symbols.lookup(rip)) continue;  // another module's, or not one
      scan->kallsyms_at = window_start + scanned_to;
      scan->bytes_scanned = readable;
      return scan;
    }
  }
  return make_error("no module symbol table holding {:#x} in the {} KiB after it ({} KiB readable)",
                    rip, max_scan / 1024, readable / 1024);
}

std::string hmp_memory_command(uint64_t addr, size_t len) {
  return fmt::format("x /{}gx {:#x}", (len + 7) / 8, addr);
}

Result<std::string> parse_hmp_memory(std::string_view text, uint64_t addr, size_t len) {
  std::string bytes;
  uint64_t expect = addr;
  while (!text.empty() && bytes.size() < len) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return make_error("unexpected monitor answer: {}", line);
    uint64_t at = 0;
    auto [end, ec] = std::from_chars(line.data(), line.data() + colon, at, 16);
    if (ec != std::errc() || end != line.data() + colon) {
      return make_error("unexpected monitor answer: {}", line);
    }
    if (at != expect) return make_error("monitor answered for {:#x}, not {:#x}", at, expect);
    std::string_view rest = line.substr(colon + 1);
    if (rest.find("Cannot access memory") != std::string_view::npos) {
      return make_error("cannot read guest memory at {:#x}", at);
    }
    while (!rest.empty()) {
      size_t start = rest.find_first_not_of(' ');
      if (start == std::string_view::npos) break;
      rest.remove_prefix(start);
      std::string_view word = rest.substr(0, rest.find(' '));
      rest.remove_prefix(word.size());
      if (word.starts_with("0x")) word.remove_prefix(2);
      uint64_t v = 0;
      auto [wend, wec] = std::from_chars(word.data(), word.data() + word.size(), v, 16);
      if (wec != std::errc() || wend != word.data() + word.size()) {
        return make_error("unexpected monitor answer: {}", line);
      }
      for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(v >> (8 * i)));
      expect += 8;
    }
  }
  if (bytes.size() < len) {
    return make_error("monitor gave {} of {} bytes at {:#x}", bytes.size(), len, addr);
  }
  bytes.resize(len);
  return bytes;
}

}  // namespace wedge::traces
