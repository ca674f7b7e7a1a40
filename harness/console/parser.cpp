// The console parser: splits bytes into bounded lines, finds report headers with the report
// table (report_classes.h), and hands each report's body to a ReportBuilder until it ends.
#include "harness/console/parser.h"

#include <algorithm>
#include <charconv>
#include <climits>

#include "harness/console/blame.h"
#include "harness/console/console_line.h"
#include "harness/console/report_builder.h"
#include "harness/console/report_classes.h"

namespace wedge::console {

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kHungTask:
      return "hung_task";
    case EventKind::kSoftLockup:
      return "soft_lockup";
    case EventKind::kHardLockup:
      return "hard_lockup";
    case EventKind::kRcuStall:
      return "rcu_stall";
    case EventKind::kWorkqueueLockup:
      return "workqueue_lockup";
    case EventKind::kOops:
      return "oops";
    case EventKind::kBug:
      return "bug";
    case EventKind::kWarning:
      return "warning";
    case EventKind::kGpf:
      return "general_protection_fault";
    case EventKind::kKasan:
      return "kasan";
    case EventKind::kSanitizer:
      return "sanitizer";
    case EventKind::kLockdep:
      return "lockdep";
    case EventKind::kAtomicContext:
      return "atomic_context";
    case EventKind::kMemoryLeak:
      return "memory_leak";
    case EventKind::kPanic:
      return "panic";
    case EventKind::kOomKill:
      return "oom_kill";
    case EventKind::kNbdStuckRequest:
      return "nbd_stuck_request";
    case EventKind::kIoError:
      return "io_error";
    case EventKind::kNfsNotResponding:
      return "nfs_not_responding";
    case EventKind::kIscsiTimeout:
      return "iscsi_timeout";
    case EventKind::kSysrqDump:
      return "sysrq_dump";
    case EventKind::kTaskStack:
      return "task_stack";
  }
  return "unknown";
}

const char* finding_kind(EventKind kind) {
  switch (kind) {
    case EventKind::kPanic:
    case EventKind::kOops:
    case EventKind::kBug:
    case EventKind::kGpf:
    case EventKind::kKasan:
    case EventKind::kSanitizer:
    case EventKind::kLockdep:
    case EventKind::kAtomicContext:
    case EventKind::kMemoryLeak:
    case EventKind::kWarning:
      return "crash";
    case EventKind::kHungTask:
    case EventKind::kSoftLockup:
    case EventKind::kHardLockup:
    case EventKind::kRcuStall:
    case EventKind::kWorkqueueLockup:
      return "hang";
    case EventKind::kOomKill:
      return "oom_kill";
    case EventKind::kIoError:
      return "io_error";
    default:
      return "";
  }
}

namespace {

int to_int(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Task, pid and state where the header names them.
void fill_task(Event* e, std::string_view message, const std::vector<std::string>& g) {
  auto group = [&](size_t i) -> std::string { return i < g.size() ? g[i] : ""; };
  switch (e->kind) {
    case EventKind::kHungTask:
      e->task = group(0);
      e->pid = to_int(group(1));
      e->state = "D";
      break;
    case EventKind::kSoftLockup:
      e->task = group(2);
      e->pid = to_int(group(3));
      break;
    case EventKind::kTaskStack: {
      e->task = group(0);
      e->state = group(1);
      size_t pid = message.find(" pid:");
      if (pid != std::string_view::npos) {
        std::string_view rest = trim(message.substr(pid + 5));
        e->pid = to_int(rest.substr(0, rest.find(' ')));
      }
      break;
    }
    case EventKind::kOomKill:
      e->pid = to_int(group(0));
      e->task = group(1);
      break;
    default:
      break;
  }
}

Event header_event(const ReportClass& c, const std::vector<std::string>& groups,
                   const ConsoleLine& line, int line_no) {
  Event e;
  e.kind = c.kind;
  e.line = line_no;
  e.timestamp_s = line.timestamp_s;
  e.context = std::string(line.context);
  e.detail = std::string(line.message);
  fill_task(&e, line.message, groups);
  return e;
}

// A report that is complete on its header line: the title from the header alone.
Event simple_event(const ReportClass& c, const std::vector<std::string>& groups,
                   const ConsoleLine& line, int line_no) {
  Event e = header_event(c, groups, line, line_no);
  e.report = expand_title(c.title, groups);
  while (!e.report.empty() && (e.report.back() == ' ' || e.report.back() == '.')) {
    e.report.pop_back();
  }
  e.title = e.report;
  return e;
}

bool needs_body(const ReportClass& c) {
  return c.frames != FrameSource::kNone || c.access_from_body || c.prelude;
}

}  // namespace

std::string blamed_frame(const std::vector<std::string>& frames) {
  return blame_frames(frames, BlameRule::kHungTask, {});
}

ConsoleScanner::ConsoleScanner() = default;
ConsoleScanner::~ConsoleScanner() = default;
ConsoleScanner::ConsoleScanner(ConsoleScanner&&) noexcept = default;
ConsoleScanner& ConsoleScanner::operator=(ConsoleScanner&&) noexcept = default;

std::vector<Event> ConsoleScanner::feed(std::string_view bytes) {
  std::vector<Event> out;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view piece = bytes.substr(0, nl);
    // Keep at most kMaxLineBytes of a line; count the rest.
    size_t room = kMaxLineBytes - std::min(kMaxLineBytes, partial_.size());
    partial_.append(piece.substr(0, room));
    if (piece.size() > room) dropped_bytes_ += piece.size() - room;
    if (nl == std::string_view::npos) break;
    on_line(partial_, &out);
    partial_.clear();
    bytes.remove_prefix(nl + 1);
  }
  return out;
}

std::vector<Event> ConsoleScanner::finish() {
  std::vector<Event> out;
  if (!partial_.empty()) {
    on_line(partial_, &out);
    partial_.clear();
  }
  complete_all(&out);
  return out;
}

std::vector<Event> ConsoleScanner::complete_open_reports() {
  std::vector<Event> out;
  complete_all(&out);
  return out;
}

ReportBuilder* ConsoleScanner::report_for(std::string_view context) const {
  if (open_.empty()) return nullptr;
  if (context.empty()) return open_.back().get();
  for (const auto& r : open_) {
    if (r->context() == context) return r.get();
  }
  for (const auto& r : open_) {
    // A report without caller id takes every line; a stall report dumps other CPUs from theirs.
    if (r->context().empty()) return r.get();
    if (r->report_class().irq_boundary && context.starts_with('C')) return r.get();
  }
  return nullptr;
}

void ConsoleScanner::complete(ReportBuilder* report, std::vector<Event>* out) {
  auto it = std::find_if(open_.begin(), open_.end(),
                         [report](const auto& r) { return r.get() == report; });
  if (it == open_.end()) return;
  Event e = (*it)->finish();
  open_.erase(it);
  auto at = std::upper_bound(completed_.begin(), completed_.end(), e.line,
                             [](int line, const Event& c) { return line < c.line; });
  completed_.insert(at, std::move(e));
  release_completed(out);
}

void ConsoleScanner::complete_all(std::vector<Event>* out) {
  while (!open_.empty()) complete(open_.front().get(), out);
}

void ConsoleScanner::release_completed(std::vector<Event>* out) {
  int oldest_open = open_.empty() ? INT_MAX : open_.front()->start_line();
  size_t n = 0;
  while (n < completed_.size() && completed_[n].line < oldest_open) ++n;
  for (size_t i = 0; i < n; ++i) out->push_back(std::move(completed_[i]));
  completed_.erase(completed_.begin(), completed_.begin() + static_cast<long>(n));
}

void ConsoleScanner::on_line(std::string_view raw, std::vector<Event>* out) {
  ++line_no_;
  std::string line = clean_console_line(raw, kMaxLineBytes);
  ConsoleLine parsed = split_console_line(line);
  if (parsed.timestamp_s) last_ts_ = *parsed.timestamp_s;
  std::string_view message = parsed.message;

  std::vector<std::string> groups;
  const ReportClass* header = match_report_class(message, &groups);
  // A report whose caller printed nothing more for a while is complete.
  while (!open_.empty() &&
         line_no_ - std::max(open_.front()->start_line(), open_.front()->last_line()) >
             kMaxIdleLines) {
    complete(open_.front().get(), out);
  }
  ReportBuilder* pending = report_for(parsed.context);
  if (!pending && !open_.empty() && (!header || !header->opens_report)) {
    return;  // another caller's line, no report of its own: the open reports never see it
  }
  if (pending) {
    const ReportClass& open = pending->report_class();
    // A task line before any stack belongs to the report that prints it (a hung task's or a
    // stall's dump); in a sysrq dump each task line starts the next task.
    bool task_line_inside = header && header->kind == EventKind::kTaskStack &&
                            open.kind != EventKind::kTaskStack &&
                            (!pending->trace_started() || open.irq_boundary);
    // An arm "Internal error: Oops" after "Unable to handle kernel paging request" is the same
    // oops, printed in two parts.
    bool oops_continued = header && header->kind == EventKind::kOops &&
                          (open.kind == EventKind::kOops || open.kind == EventKind::kBug ||
                           open.kind == EventKind::kGpf) &&
                          !pending->trace_started();
    // "WARNING: .. at lib/debugobjects.c" then "ODEBUG: free active ..", or the refcount
    // WARNING then "refcount_t: underflow": the message a WARN printed, same report.
    bool same_report = header && !pending->trace_started() &&
                       std::string_view(header->title) == std::string_view(open.title);
    bool absorbed =
        header && (!header->opens_report || task_line_inside || oops_continued || same_report);
    if (header && header->kind == EventKind::kPanic && !pending->trace_started()) {
      // "Kernel panic - not syncing: panic_on_warn set" comes between a report's header and
      // its stack: the panic is an event of its own, the stack stays with the report.
      out->push_back(simple_event(*header, groups, parsed, line_no_));
      return;
    }
    if (header && !absorbed && open.prelude && !pending->trace_started() && needs_body(*header) &&
        header->kind != EventKind::kPanic) {
      pending->replace_class(*header, std::move(groups));  // "ODEBUG: .." then its WARNING
      return;
    }
    if (!header || absorbed) {
      pending->took_line(line_no_);
      switch (pending->feed(parsed)) {
        case ReportBuilder::Fed::kTaken:
          return;
        case ReportBuilder::Fed::kEndedWithLine:
          complete(pending, out);
          return;
        case ReportBuilder::Fed::kEnded:
          complete(pending, out);
          break;
      }
    } else {
      complete(pending, out);
    }
  }
  if (!header) return;
  if (trim(message).starts_with("---[ end")) return;  // repeats a report already seen
  Event e = header_event(*header, groups, parsed, line_no_);
  if (needs_body(*header)) {
    // Reports of different callers are read side by side; without caller ids one at a time.
    if (parsed.context.empty()) complete_all(out);
    if (open_.size() >= kMaxOpenReports) complete(open_.front().get(), out);
    open_.push_back(std::make_unique<ReportBuilder>(*header, std::move(groups), std::move(e)));
    return;
  }
  out->push_back(simple_event(*header, groups, parsed, line_no_));
}

std::vector<Event> parse_events(std::string_view log) {
  ConsoleScanner scanner;
  std::vector<Event> events = scanner.feed(log);
  for (auto& e : scanner.finish()) events.push_back(std::move(e));
  return events;
}

}  // namespace wedge::console
