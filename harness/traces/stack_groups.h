// Groups task stacks that are the same (state and frames) so that a dump of hundreds of
// tasks reads as a handful of distinct situations, biggest first, each with its blamed frame.
//
//   for (const StackGroup& g : traces::group_stacks(tasks))
//     fmt::print("{} task(s) in {} ({}): {}\n", g.count, g.blamed, g.state, g.tasks);
#pragma once

#include <string>
#include <vector>

#include "harness/traces/task_trace.h"

namespace wedge::traces {

struct StackGroup {
  int count = 0;                    // distinct tasks (a task seen in two dumps counts once)
  std::string state;                // "D", "R", ...
  std::vector<std::string> tasks;   // "comm:pid", in order of first appearance
  std::vector<std::string> frames;  // innermost first
  std::string blamed;               // console::blamed_frame(frames); empty if all generic
  bool operator==(const StackGroup&) const = default;
};

// Tasks with identical state and frames form one group; groups come most frequent first,
// ties in order of first appearance. Tasks without frames are grouped too (by state).
[[nodiscard]] std::vector<StackGroup> group_stacks(const std::vector<TaskTrace>& tasks);

}  // namespace wedge::traces
