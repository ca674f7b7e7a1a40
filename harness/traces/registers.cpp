// Implementation of registers.h: line scanning of HMP output.
#include "harness/traces/registers.h"

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

}  // namespace wedge::traces
