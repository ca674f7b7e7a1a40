// One console line taken apart: the printk timestamp, the caller id CONFIG_PRINTK_CALLER adds
// ("T1478" for a task, "C0" for a CPU), and the message, whatever else the console put first
// ("<4>" levels, "** 12 printk messages dropped **", a getty's "login: ").
//
//   ConsoleLine l = split_console_line("[  584.31][   T31] INFO: task x:1 blocked ...");
//   l.timestamp_s == 584.31;  l.context == "T31";  l.message.starts_with("INFO: task");
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wedge::console {

struct ConsoleLine {
  std::optional<double> timestamp_s;
  std::string_view context;  // "T31", "C0", or "" when the kernel printed no caller id
  std::string_view message;  // what the kernel printed, without prefixes
};

// Views into `line`, which must outlive the result.
[[nodiscard]] ConsoleLine split_console_line(std::string_view line);

// Drops ANSI escape sequences (SeaBIOS clears the screen), '\r' and other control bytes except
// tabs, and keeps at most max_bytes of what remains.
[[nodiscard]] std::string clean_console_line(std::string_view raw, size_t max_bytes);

// Spaces and tabs removed from both ends.
[[nodiscard]] std::string_view trim(std::string_view s);

}  // namespace wedge::console
