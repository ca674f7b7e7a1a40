// Which frame of a kernel report a developer blames: the first one that is not reporting
// machinery (printing, sanitizers, lockdep, WARN, RCU dumps, NMI backtraces, refcount and
// debug-object helpers) or a primitive every path goes through (locks, mem*/str*, list
// helpers), with rules of their own for stalls (the function before the entry point that
// dispatched the looping work) and hung tasks (past the scheduler, wait and lock primitives).
// The roles come from the table in frame_rules.h.
//
//   blame_frames({"dump_stack", "__warn", "report_bug", "tcf_exts_destroy"}, BlameRule::kStack, {})
//       == "tcf_exts_destroy"
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wedge::console {

enum class BlameRule {
  kStack,     // first frame that is not machinery or a primitive
  kStall,     // RCU stalls, soft lockups: the frame before the dispatching entry point
  kHungTask,  // blocked tasks: rtnl_lock / synchronize_rcu anchors, else past wait primitives
};

// frames innermost first; extra_skip: substrings that mark more frames as machinery for this
// report class. Returns the function without compiler suffixes, or "" when nothing is left.
[[nodiscard]] std::string blame_frames(const std::vector<std::string>& frames, BlameRule rule,
                                       std::span<const std::string_view> extra_skip);

// True for frames no report should be blamed on (reporting machinery and primitives).
[[nodiscard]] bool is_machinery_frame(std::string_view function);

}  // namespace wedge::console
