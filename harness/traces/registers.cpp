// Implementation of registers.h: line scanning of HMP output and of kallsyms.
#include "harness/traces/registers.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace wedge::traces {

namespace {
// Splits text into lines (without '\n') and calls f on each.
template <class F>
void for_each_line(std::string_view text, F f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

std::optional<uint64_t> parse_hex(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

// The value after "KEY=" on a line of "A=.. B=.." pairs, up to the next space.
std::optional<std::string_view> value_of(std::string_view line, std::string_view key) {
  for (size_t pos = line.find(key); pos != std::string_view::npos; pos = line.find(key, pos + 1)) {
    if (pos > 0 && line[pos - 1] != ' ') continue;  // "RIP=" must not match "XRIP="
    std::string_view rest = line.substr(pos + key.size());
    return rest.substr(0, rest.find(' '));
  }
  return std::nullopt;
}
}  // namespace

Result<std::vector<VcpuState>> parse_info_registers(std::string_view text) {
  std::vector<VcpuState> cpus;
  bool in_section = false;
  for_each_line(text, [&](std::string_view line) {
    if (line.rfind("CPU#", 0) == 0) {
      int cpu = 0;
      std::string_view num = line.substr(4);
      std::from_chars(num.data(), num.data() + num.size(), cpu);
      cpus.push_back(VcpuState{cpu, 0, false});
      in_section = true;
      return;
    }
    if (auto rip = value_of(line, "RIP=")) {
      if (!in_section) {  // plain `info registers`: one CPU, no header
        cpus.push_back(VcpuState{0, 0, false});
        in_section = true;
      }
      if (auto v = parse_hex(*rip)) cpus.back().rip = *v;
    }
    if (auto hlt = value_of(line, "HLT="); hlt && in_section) cpus.back().halted = *hlt == "1";
  });
  std::erase_if(cpus, [](const VcpuState& c) { return c.rip == 0; });
  if (cpus.empty()) return make_error("info registers: no CPU with an RIP= value");
  return cpus;
}

Result<SymbolTable> SymbolTable::from_kallsyms(std::string_view text) {
  SymbolTable table;
  bool all_zero = true;
  for_each_line(text, [&](std::string_view line) {
    // "ffffffff81000000 T _stext" or "ffffffffc0201000 t name\t[module]"
    size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || line.size() < sp1 + 4 || line[sp1 + 2] != ' ') return;
    char type = line[sp1 + 1];
    if (type != 't' && type != 'T') return;
    auto addr = parse_hex(line.substr(0, sp1));
    if (!addr) return;
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
  });
  if (table.symbols_.empty()) return make_error("kallsyms: no text symbols");
  if (all_zero) {
    return make_error("kallsyms: every address is 0 (read without root, or kptr_restrict)");
  }
  std::stable_sort(table.symbols_.begin(), table.symbols_.end(),
                   [](const Symbol& a, const Symbol& b) { return a.addr < b.addr; });
  return table;
}

std::string SymbolTable::symbolize(uint64_t addr) const {
  auto after = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                                [](uint64_t a, const Symbol& s) { return a < s.addr; });
  if (after == symbols_.begin()) return fmt::format("{:#x}", addr);
  // The first symbol listed at the address just below addr.
  auto below = std::prev(after);
  auto at = std::lower_bound(symbols_.begin(), after, below->addr,
                             [](const Symbol& s, uint64_t a) { return s.addr < a; });
  // The next symbol at a higher address ends this one; the last symbol has no known size.
  if (after == symbols_.end()) {
    if (addr != at->addr) return fmt::format("{:#x}", addr);
    return at->name + "+0x0" + (at->module.empty() ? "" : " [" + at->module + "]");
  }
  std::string out =
      fmt::format("{}+{:#x}/{:#x}", at->name, addr - at->addr, after->addr - at->addr);
  if (!at->module.empty()) out += " [" + at->module + "]";
  return out;
}

}  // namespace wedge::traces
