// Offline analysis rules: kernel messages become findings as in a live run; task dumps
// (sysrq-w/-t, NMI panic_print) become stack groups and tell deadlock from livelock; a panic
// caused by an injected NMI is a trace route, not a crash.
#include "harness/detect/analyze.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "harness/console/parser.h"
#include "harness/traces/console_tasks.h"
#include "harness/traces/stack_groups.h"

namespace wedge::detect {

using console::EventKind;
using reports::Verdict;

namespace {

bool has_frame(const traces::TaskTrace& t, const std::set<std::string>& names) {
  for (const auto& f : t.frames) {
    if (names.count(f.substr(0, f.find('.')))) return true;
  }
  return false;
}

// The task printing a sysrq dump shows up running in the dumping code itself.
bool is_dumping_task(const traces::TaskTrace& t) {
  static const std::set<std::string> dumping = {"sched_show_task",
                                                "show_state_filter",
                                                "sysrq_handle_showstate",
                                                "__handle_sysrq",
                                                "show_regs",
                                                "nmi_panic",
                                                "panic"};
  return has_frame(t, dumping);
}

bool in_reclaim(const traces::TaskTrace& t) {
  static const std::set<std::string> reclaim = {
      "shrink_node",          "shrink_lruvec",     "shrink_slab",
      "do_try_to_free_pages", "try_to_free_pages", "__alloc_pages_slowpath",
      "shrink_inactive_list", "shrink_folio_list", "balance_pgdat"};
  return has_frame(t, reclaim);
}

// "... blocked for more than 10 seconds." / "... Runtime 30 seconds" -> 10 / 30.
double seconds_in(const std::string& text, const char* before) {
  size_t at = text.find(before);
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + std::char_traits<char>::length(before), nullptr);
}

std::optional<double> minus(const std::optional<double>& t, double d) {
  if (!t) return std::nullopt;
  return std::max(0.0, *t - d);
}

}  // namespace

std::string hang_subkind(const std::vector<traces::TaskTrace>& tasks) {
  bool blocked = false;
  for (const auto& t : tasks) {
    if (is_dumping_task(t)) continue;
    if (t.state == "R" && in_reclaim(t)) return "livelock";
    if (t.state == "D") blocked = true;
  }
  return blocked ? "deadlock" : "";
}

std::vector<reports::StackGroup> report_stacks(const std::vector<traces::TaskTrace>& tasks) {
  std::vector<traces::TaskTrace> relevant;
  for (const auto& t : tasks) {
    if ((t.state == "D" || t.state == "R") && !is_dumping_task(t) && !t.frames.empty()) {
      relevant.push_back(t);
    }
  }
  std::vector<reports::StackGroup> out;
  for (const auto& g : traces::group_stacks(relevant)) {
    out.push_back(reports::StackGroup{g.count, g.state, g.tasks, g.frames});
  }
  return out;
}

Analysis analyze_console_log(std::string_view log, const AnalyzeOptions& options) {
  std::vector<console::Event> events = console::parse_events(log);
  Analysis a;
  auto add = [&](const std::string& kind, const console::Event& e, std::optional<double> onset) {
    for (const auto& f : a.findings) {
      if (f.kind == kind && f.title == e.title) return;
    }
    reports::Finding f;
    f.kind = kind;
    f.title = e.title;
    f.onset_s = onset;
    f.detected_s = e.timestamp_s;
    f.evidence = fmt::format("console line {}", e.line);
    f.frames = e.frames;
    a.findings.push_back(std::move(f));
  };
  bool nmi_route = false;
  const console::Event* first_stuck = nullptr;
  for (const auto& e : events) {
    std::string kind = console::finding_kind(e.kind);
    if (e.kind == EventKind::kNbdStuckRequest && !first_stuck) first_stuck = &e;
    if (kind.empty()) continue;
    if (e.kind == EventKind::kPanic && e.title.find("NMI") != std::string::npos) {
      nmi_route = true;  // an NMI with unknown_nmi_panic: a way to dump tasks, not a bug
      continue;
    }
    if (kind == "oom_kill" && options.oom_ok) continue;
    // When the message says how long the task was stuck, the hang began that long before.
    double stuck_for = e.kind == EventKind::kHungTask
                           ? seconds_in(e.detail, "blocked for more than ")
                       : e.kind == EventKind::kSoftLockup ? seconds_in(e.detail, "stuck for ")
                                                          : 0;
    add(kind, e, minus(e.timestamp_s, stuck_for));
  }

  std::vector<traces::TaskTrace> tasks = traces::task_traces_from_events(events);
  std::vector<reports::StackGroup> stacks = report_stacks(tasks);
  std::string subkind = hang_subkind(tasks);
  auto hang = std::find_if(a.findings.begin(), a.findings.end(),
                           [](const reports::Finding& f) { return f.kind == "hang"; });
  if (hang == a.findings.end() && first_stuck) {
    // No kernel watchdog fired (tasks wait in mempool_alloc with a timeout): the stuck
    // requests are what shows the hang.
    add("hang", *first_stuck,
        minus(first_stuck->timestamp_s, seconds_in(first_stuck->detail, "Runtime ")));
  } else if (hang == a.findings.end() && subkind == "deadlock" && !stacks.empty()) {
    console::Event synthetic{};
    synthetic.title = fmt::format(
        "tasks blocked in {}",
        stacks.front().frames.empty() ? "unknown" : console::blamed_frame(stacks.front().frames));
    synthetic.line = 0;
    add("hang", synthetic, std::nullopt);
    a.findings.back().evidence = "blocked tasks in a task dump";
  }
  for (auto& f : a.findings) {
    if (f.kind != "hang") continue;
    f.subkind = subkind;
    f.stacks = stacks;
    std::set<std::string> routes;
    for (const auto& t : tasks) routes.insert(t.source);
    f.routes.assign(routes.begin(), routes.end());
    if (nmi_route && std::find(f.routes.begin(), f.routes.end(), "nmi") == f.routes.end()) {
      f.routes.push_back("nmi");
    }
    break;  // the stacks belong to the first hang; later ones refer to it
  }

  a.verdict = Verdict::kPass;
  for (const char* kind : {"crash", "hang", "oom_kill", "io_error"}) {
    auto it = std::find_if(a.findings.begin(), a.findings.end(),
                           [&](const reports::Finding& f) { return f.kind == kind; });
    if (it == a.findings.end()) continue;
    a.verdict = std::string(kind) == "crash"      ? Verdict::kCrash
                : std::string(kind) == "hang"     ? Verdict::kHang
                : std::string(kind) == "oom_kill" ? Verdict::kUnexpectedOom
                                                  : Verdict::kIoError;
    a.reason = it->title;
    break;
  }
  if (a.verdict == Verdict::kPass) a.reason = "no kernel findings in this log";
  return a;
}

}  // namespace wedge::detect
