// Implementation of hang_title.h.
#include "harness/detect/hang_title.h"

#include <map>

#include "harness/console/parser.h"
#include "harness/detect/verdict_rules.h"

namespace wedge::detect {

std::string stuck_cpu_function(const std::vector<std::vector<VcpuSample>>& samples) {
  if (samples.size() < 2) return "";
  std::map<int, std::string> running;  // cpu -> the function it ran in every sample so far
  std::map<int, bool> ever_running;
  for (const auto& sample : samples) {
    for (const auto& v : sample) {
      if (v.halted) continue;
      bool first = !ever_running[v.cpu];
      ever_running[v.cpu] = true;
      if (first) {
        running[v.cpu] = v.function;
      } else if (running[v.cpu] != v.function) {
        running[v.cpu] = "";
      }
    }
  }
  std::string found;
  int busy = 0;
  for (const auto& [cpu, ran] : ever_running) busy += ran;
  if (busy != 1) return "";  // the others must halt
  for (const auto& [cpu, fn] : running) found = fn;
  // Running in every sample: count the samples the busy CPU appears running in.
  size_t seen = 0;
  for (const auto& sample : samples) {
    for (const auto& v : sample) seen += !v.halted;
  }
  return seen == samples.size() ? found : "";
}

std::string hang_title_from_traces(const std::vector<reports::StackGroup>& stacks,
                                   const std::string& stuck_function) {
  if (!stuck_function.empty()) return "CPU stuck in " + stuck_function;
  if (stacks.empty()) return "";
  std::string blamed = console::blamed_frame(stacks.front().frames);
  if (blamed.empty()) return "";
  return (stacks.front().state == "R" ? "tasks spinning in " : "tasks blocked in ") + blamed;
}

void retitle_hang(reports::Finding* f, const std::string& title, const std::string& blamed) {
  f->title = title;
  size_t in = title.rfind(" in ");
  f->report = in == std::string::npos ? title : title.substr(0, in);
  f->blamed = blamed;
  f->signature = signature_of(f->kind, f->report, f->blamed);
}

}  // namespace wedge::detect
