// The table of kernel reports the console parser knows: how each one's first line looks (an
// RE2 pattern: linear time on any input), the title it gets, where its blamed frame comes from
// and which frames it skips as its own machinery. One entry per report class, in priority
// order: the first class whose pattern matches a line wins.
//
//   const ReportClass* c = match_report_class("BUG: KASAN: use-after-free in f+0x1/0x2", &groups);
//   c->title == "KASAN: $1";  groups[0] == "use-after-free";  groups[1] == "f"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/console/blame.h"
#include "harness/console/events.h"

namespace wedge::console {

// Where a report's blamed frame comes from.
enum class FrameSource {
  kNone,          // the title names no frame
  kStack,         // the first trace (after the instruction pointer line, when there is one)
  kHeader,        // the function named on the header line, else the stack
  kLockAt,        // lockdep: the function of the first "..., at: func+0x.." line
  kLastFunction,  // "last function: func" (workqueue leaks)
};

struct ReportClass {
  EventKind kind;
  const char* pattern;  // RE2; searched in the message (console prefixes already removed)
  const char* title;    // "$1".."$9" stand for the pattern's groups
  FrameSource frames = FrameSource::kNone;
  BlameRule rule = BlameRule::kStack;
  std::vector<std::string_view> skip;  // frames of this report's own machinery (substrings)
  int header_function_group = 0;       // group holding a function name on the header line
  bool irq_boundary = false;           // RCU stalls: the stack that matters follows the timer IRQ
  bool prelude = false;           // a line that usually precedes the real header (ODEBUG:, ...)
  bool access_from_body = false;  // KASAN: " Read"/" Write" from "Read of size N" lines
  bool opens_report = true;       // false: a line inside another report (invalid opcode)
};

// The first class whose pattern matches message, and the pattern's groups (at most 9).
// Lines longer than the parser's line bound never reach this function.
[[nodiscard]] const ReportClass* match_report_class(std::string_view message,
                                                    std::vector<std::string>* groups);

// Expands "$1".. in a class title with groups.
[[nodiscard]] std::string expand_title(std::string_view title,
                                       const std::vector<std::string>& groups);

}  // namespace wedge::console
