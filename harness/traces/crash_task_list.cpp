// Implementation of crash_task_list.h.
#include "harness/traces/crash_task_list.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace wedge::traces {

namespace {

constexpr uint64_t kTaskNoload = 0x400;

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r,");
  return s.substr(b, e - b + 1);
}

bool parse_number(std::string_view s, uint64_t* out, int base) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// `comm = "init\000\000..."` -> init (crash prints the NUL padding as \000).
std::string unquote_comm(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  size_t nul = v.find("\\000");
  return std::string(v.substr(0, nul));
}

int state_rank(char s) { return s == 'D' ? 0 : s == 'R' ? 1 : 2; }

}  // namespace

char task_state_letter(uint64_t state) {
  if (state == 0) return 'R';
  if (state == (2 | kTaskNoload)) return 'I';
  if (state & 0x1) return 'S';
  if (state & 0x2) return 'D';
  if (state & 0x4) return 'T';
  if (state & 0x8) return 't';
  if (state & 0x10) return 'X';
  if (state & 0x20) return 'Z';
  return '?';
}

std::vector<DumpTask> parse_crash_task_list(std::string_view text) {
  std::vector<DumpTask> tasks;
  bool open = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    uint64_t addr = 0;
    std::string_view t = trim(line);
    if (!line.starts_with(' ') && t.size() == 16 && parse_number(t, &addr, 16)) {
      DumpTask task;
      task.task = addr;
      tasks.push_back(task);
      open = true;
      continue;
    }
    if (!open) continue;
    size_t eq = t.find(" = ");
    if (eq == std::string_view::npos) {
      open = false;  // not a member line: the record ended
      continue;
    }
    std::string_view key = t.substr(0, eq);
    std::string_view value = t.substr(eq + 3);
    uint64_t n = 0;
    if (key == "pid" && parse_number(value, &n, 10)) {
      tasks.back().pid = static_cast<int>(n);
    } else if (key == "comm") {
      tasks.back().comm = unquote_comm(value);
    } else if (key == "__state" && parse_number(value, &n, 10)) {
      tasks.back().state = task_state_letter(n);
    }
  }
  return tasks;
}

std::string format_dump_tasks(const std::vector<DumpTask>& tasks) {
  std::vector<DumpTask> sorted = tasks;
  std::stable_sort(sorted.begin(), sorted.end(), [](const DumpTask& a, const DumpTask& b) {
    if (state_rank(a.state) != state_rank(b.state))
      return state_rank(a.state) < state_rank(b.state);
    return a.pid < b.pid;
  });
  std::string out = fmt::format("{:>7}  ST  {:<16}  COMM\n", "PID", "TASK");
  for (const auto& t : sorted) {
    out += fmt::format("{:>7}  {}   {:016x}  {}\n", t.pid, t.state, t.task, t.comm);
  }
  return out;
}

}  // namespace wedge::traces
