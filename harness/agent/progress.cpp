// Implementation of progress.h.
#include "harness/agent/progress.h"

#include <charconv>

namespace wedge::agent {

namespace {
// Parses a decimal number at the start of s and removes it; false if there is none.
bool take_number(std::string_view& s, uint64_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (ec != std::errc() || ptr == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()));
  return true;
}
}  // namespace

std::optional<Progress> parse_progress_line(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  constexpr std::string_view kPrefix = "progress ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  Progress p;
  if (!take_number(line, &p.done_mib) || !line.starts_with(' ')) return std::nullopt;
  line.remove_prefix(1);
  if (!take_number(line, &p.total_mib) || !line.empty()) return std::nullopt;
  if (p.done_mib > p.total_mib) return std::nullopt;
  return p;
}

}  // namespace wedge::agent
