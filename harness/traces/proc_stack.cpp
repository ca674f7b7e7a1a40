// Implementation of proc_stack.h: one line at a time, no regex (stacks arrive by the thousand).
#include "harness/traces/proc_stack.h"

#include <cctype>

namespace wedge::traces {

namespace {
bool is_symbol_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

// "[<0>] name+0x13d/0x380 [mod]" -> "name"; empty if the line is not a frame.
std::string frame_of(std::string_view line) {
  size_t close = line.find(">]");
  if (line.substr(0, 2) != "[<" || close == std::string_view::npos) return "";
  std::string_view rest = line.substr(close + 2);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  size_t plus = rest.find("+0x");
  if (plus == 0 || plus == std::string_view::npos) return "";
  std::string_view name = rest.substr(0, plus);
  for (char c : name) {
    if (!is_symbol_char(c)) return "";
  }
  return std::string(name);
}
}  // namespace

std::vector<std::string> parse_proc_stack(std::string_view text) {
  std::vector<std::string> frames;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::string frame = frame_of(line);
    if (!frame.empty()) frames.push_back(std::move(frame));
  }
  return frames;
}

TaskTrace task_trace_from_agent(const agent::Task& task) {
  TaskTrace t;
  t.pid = static_cast<int>(task.pid);
  t.comm = task.comm;
  t.state = task.state;
  t.wchan = task.wchan == "0" ? "" : task.wchan;
  t.frames = parse_proc_stack(task.stack);
  t.source = "agent";
  return t;
}

}  // namespace wedge::traces
