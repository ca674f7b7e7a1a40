// Pure parsing of the hog workload's stdout (`wedge-agent hog`): its progress lines tell how
// far a memory squeeze got before the guest stalled.
//
//   if (auto p = parse_progress_line("progress 16 64")) use(p->done_mib, p->total_mib);
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wedge::agent {

struct Progress {
  uint64_t done_mib = 0;
  uint64_t total_mib = 0;
  bool operator==(const Progress&) const = default;
};

// Parses "progress <done> <total>" (a trailing "\n" or "\r\n" is allowed); nullopt for any
// other line, or if done > total.
[[nodiscard]] std::optional<Progress> parse_progress_line(std::string_view line);

}  // namespace wedge::agent
