// Implementation of symbol_table.h: kallsyms line scanning and binary search by address.
#include "harness/traces/symbol_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace wedge::traces {

namespace {
std::optional<uint64_t> parse_hex(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Functions: t/T, and W/w (weak, which nm gives functions that can be overridden).
bool is_text_type(char type) { return type == 't' || type == 'T' || type == 'W' || type == 'w'; }

// Of several names at one address, the one to show ranks lowest: as scripts/kallsyms.c orders
// them, linker-script markers (__sched_text_end, __cpuidle_text_start) after real names, then
// fewer leading underscores first. System.map lists them by name instead.
int name_rank(std::string_view name) {
  bool marker =
      name.size() >= 8 && name.starts_with("__") &&
      (name.substr(2).starts_with("start_") || name.substr(2).starts_with("stop_") ||
       name.substr(2).starts_with("end_") || name.ends_with("_start") || name.ends_with("_end"));
  int underscores = static_cast<int>(std::min(name.find_first_not_of('_'), name.size()));
  return (marker ? 1000 : 0) + underscores;
}
}  // namespace

Result<SymbolTable> SymbolTable::from_kallsyms(std::string_view text) {
  SymbolTable table;
  bool all_zero = true;
  // Only whole lines: a paged read may end in the middle of one.
  size_t last_newline = text.rfind('\n');
  text = last_newline == std::string_view::npos ? std::string_view() : text.substr(0, last_newline);
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // "ffffffff81000000 T _stext" or "ffffffffc0201000 t name\t[module]"
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || line.size() < sp1 + 4 || line[sp1 + 2] != ' ') continue;
    auto addr = parse_hex(line.substr(0, sp1));
    if (!addr) continue;
    char type = line[sp1 + 1];
    if (!is_text_type(type)) {
      if (*addr != 0) table.markers_.push_back(*addr);
      continue;
    }
    if (*addr != 0) all_zero = false;
    std::string_view rest = line.substr(sp1 + 3);
    Symbol s;
    s.addr = *addr;
    size_t tab = rest.find('\t');
    s.name = std::string(rest.substr(0, tab));
    if (tab != std::string_view::npos) {
      std::string_view module = rest.substr(tab + 1);
      if (module.size() > 2 && module.front() == '[' && module.back() == ']') {
        s.module = std::string(module.substr(1, module.size() - 2));
      }
    }
    table.symbols_.push_back(std::move(s));
  }
  if (table.symbols_.empty()) return make_error("kallsyms: no text symbols");
  if (all_zero) {
    return make_error("kallsyms: every address is 0 (read without root, or kptr_restrict)");
  }
  table.sort();
  return table;
}

SymbolTable SymbolTable::from_symbols(std::vector<Symbol> text_symbols) {
  SymbolTable table;
  table.symbols_ = std::move(text_symbols);
  table.sort();
  return table;
}

void SymbolTable::sort() {
  std::stable_sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    if (a.addr != b.addr) return a.addr < b.addr;
    return name_rank(a.name) < name_rank(b.name);
  });
  std::sort(markers_.begin(), markers_.end());
}

std::optional<std::string> SymbolTable::lookup(uint64_t addr) const {
  auto after = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                                [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (after == symbols_.begin()) return std::nullopt;
  // The first symbol listed at the address just below addr; `after` is the next one up.
  auto below = std::prev(after);
  auto at = std::lower_bound(symbols_.begin(), after, below->addr,
                             [](const Symbol& s, uint64_t a) { return s.addr < a; });
  std::optional<uint64_t> end;
  if (at->size != 0) {
    end = at->addr + at->size;
  } else if (after != symbols_.end() && after->module == at->module) {
    end = after->addr;
  } else {
    // The last function of a module (or of the kernel): its data comes next.
    if (after != symbols_.end()) end = after->addr;
    auto marker = std::upper_bound(markers_.begin(), markers_.end(), at->addr);
    if (marker != markers_.end()) end = end ? std::min(*end, *marker) : *marker;
  }
  std::string module = at->module.empty() ? "" : " [" + at->module + "]";
  if (!end) {
    if (addr != at->addr) return std::nullopt;
    return at->name + "+0x0" + module;
  }
  if (addr >= *end) return std::nullopt;
  return fmt::format("{}+{:#x}/{:#x}{}", at->name, addr - at->addr, *end - at->addr, module);
}

std::string SymbolTable::symbolize(uint64_t addr) const {
  auto found = lookup(addr);
  return found ? *found : fmt::format("{:#x}", addr);
}

std::optional<uint64_t> SymbolTable::address_of(std::string_view name) const {
  for (const auto& s : symbols_) {
    if (s.name == name) return s.addr;
  }
  return std::nullopt;
}

}  // namespace wedge::traces
