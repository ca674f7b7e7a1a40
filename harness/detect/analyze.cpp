// Offline analysis rules: kernel messages become findings as in a live run; task dumps
// (sysrq-w/-t, NMI panic_print) become stack groups and tell deadlock from livelock; a panic
// caused by an injected NMI is a trace route, not a crash.
#include "harness/detect/analyze.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "harness/console/parser.h"
#include "harness/detect/hang_title.h"
#include "harness/detect/task_roles.h"
#include "harness/detect/verdict_rules.h"
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

// Blocked tasks, and first among the stacks a task the others wait on (a sender spinning in
// reclaim, say): a hang, even though a task runs.
bool blocked_on_cause(const std::vector<reports::StackGroup>& stacks) {
  bool blocked = std::any_of(stacks.begin(), stacks.end(),
                             [](const reports::StackGroup& g) { return g.state == "D"; });
  return blocked && !cause_title(stacks).empty();
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
  // The task the others wait on leads; the waiters follow as the consequence.
  return rank_by_role(std::move(out));
}

struct LogAnalyzer::State {
  AnalyzeOptions options;
  console::ConsoleScanner scanner;
  traces::TaskTraceCollector tasks{kMaxTasks};
  Analysis a;
  size_t dropped_findings = 0;
  bool nmi_route = false;
  std::optional<reports::Finding> first_storage_stall;

  void add(reports::Finding f) {
    for (const auto& seen : a.findings) {
      if (seen.signature == f.signature) return;  // repeated messages are one finding
    }
    if (a.findings.size() >= kMaxFindings) {
      ++dropped_findings;
      return;
    }
    a.findings.push_back(std::move(f));
    (void)revise_cpu_waiting_hangs(&a.findings);
  }

  void on_event(const console::Event& e) {
    tasks.add(e);
    std::string kind = console::finding_kind(e.kind);
    if (is_storage_stall(e.kind) && !first_storage_stall) {
      // Tasks waiting on storage with a timeout never trip the hung-task detector: the
      // storage's own complaints show the hang. "Runtime 30 seconds": it began that long ago.
      first_storage_stall = finding_from_event(e, "hang");
      first_storage_stall->onset_s = minus(e.timestamp_s, seconds_after(e.detail, "Runtime "));
    }
    if (kind.empty()) return;
    if (e.kind == EventKind::kPanic && e.title.find("NMI") != std::string::npos) {
      nmi_route = true;  // an NMI with unknown_nmi_panic: a way to dump tasks, not a bug
      return;
    }
    if (kind == "oom_kill" && options.oom_ok) return;
    reports::Finding f = finding_from_event(e, kind);
    // When the message says how long the task was stuck, the hang began that long before.
    f.onset_s = minus(e.timestamp_s, stuck_for_s(e));
    add(std::move(f));
  }
};

LogAnalyzer::LogAnalyzer(AnalyzeOptions options) : state_(std::make_unique<State>()) {
  state_->options = options;
}

LogAnalyzer::~LogAnalyzer() = default;

void LogAnalyzer::feed(std::string_view bytes) {
  for (const auto& e : state_->scanner.feed(bytes)) state_->on_event(e);
}

Analysis LogAnalyzer::finish() {
  State& s = *state_;
  for (const auto& e : s.scanner.finish()) s.on_event(e);
  Analysis& a = s.a;
  const std::vector<traces::TaskTrace>& tasks = s.tasks.tasks();
  std::vector<reports::StackGroup> stacks = report_stacks(tasks);
  std::string subkind = hang_subkind(tasks);
  auto is_hang = [](const reports::Finding& f) { return f.kind == "hang"; };
  if (std::none_of(a.findings.begin(), a.findings.end(), is_hang)) {
    if (s.first_storage_stall) {
      s.add(*s.first_storage_stall);
    } else if (s.options.hangs_from_task_dumps &&
               (subkind == "deadlock" || (subkind == "livelock" && blocked_on_cause(stacks)))) {
      std::string title = hang_title_from_traces(stacks, "");
      if (!title.empty()) {
        reports::Finding f;
        f.kind = "hang";
        f.evidence = "blocked tasks in a task dump";
        retitle_hang(&f, title);
        s.add(std::move(f));
      }
    }
  }
  for (auto& f : a.findings) {
    if (f.kind != "hang") continue;
    f.subkind = subkind;
    f.stacks = stacks;
    // The task the others wait on names the hang, as in a live run.
    HangEvidence evidence;
    evidence.stacks = stacks;
    evidence.subkind = subkind;
    if (std::string title = hang_title_after_traces(f, evidence).title; !title.empty()) {
      retitle_hang(&f, title);
    }
    std::set<std::string> routes;
    for (const auto& t : tasks) routes.insert(t.source);
    f.routes.assign(routes.begin(), routes.end());
    if (s.nmi_route && std::find(f.routes.begin(), f.routes.end(), "nmi") == f.routes.end()) {
      f.routes.push_back("nmi");
    }
    break;  // the stacks belong to the first hang; later ones refer to it
  }
  (void)revise_cpu_waiting_hangs(&a.findings);  // after the subkind the task dump gave
  auto decided = deciding_finding(a.findings, [](const reports::Finding&) { return true; });
  a.verdict = decided ? verdict_for_kind(a.findings[*decided].kind) : Verdict::kPass;
  a.reason = decided ? a.findings[*decided].title : "no kernel findings in this log";
  if (decided && *decided != 0) {
    // The deciding finding leads the list, as it leads a kernel developer's reading.
    std::rotate(a.findings.begin(), a.findings.begin() + static_cast<long>(*decided),
                a.findings.begin() + static_cast<long>(*decided) + 1);
  }
  return std::move(a);
}

Analysis analyze_console_log(std::string_view log, const AnalyzeOptions& options) {
  LogAnalyzer analyzer(options);
  analyzer.feed(log);
  return analyzer.finish();
}

Result<Analysis> analyze_console_file(const std::filesystem::path& path,
                                      const AnalyzeOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("reading {}: {}", path.string(), std::strerror(errno));
  LogAnalyzer analyzer(options);
  std::string chunk(1 << 20, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    analyzer.feed(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return make_error("reading {}: read error", path.string());
  return analyzer.finish();
}

}  // namespace wedge::detect
