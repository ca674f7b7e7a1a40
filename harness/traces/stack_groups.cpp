// Implementation of stack_groups.h: a map from (state, frames) to the group's index.
#include "harness/traces/stack_groups.h"

#include <algorithm>
#include <map>
#include <utility>

#include "harness/console/parser.h"

namespace wedge::traces {

std::vector<StackGroup> group_stacks(const std::vector<TaskTrace>& tasks) {
  std::vector<StackGroup> groups;
  std::map<std::pair<std::string, std::vector<std::string>>, size_t> index;
  for (const TaskTrace& t : tasks) {
    auto [it, added] = index.try_emplace({t.state, t.frames}, groups.size());
    if (added) {
      StackGroup g;
      g.state = t.state;
      g.frames = t.frames;
      g.blamed = console::blamed_frame(t.frames);
      groups.push_back(std::move(g));
    }
    StackGroup& g = groups[it->second];
    std::string label = task_label(t);
    if (std::find(g.tasks.begin(), g.tasks.end(), label) == g.tasks.end()) {
      g.tasks.push_back(std::move(label));
      ++g.count;
    }
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const StackGroup& a, const StackGroup& b) { return a.count > b.count; });
  return groups;
}

}  // namespace wedge::traces
