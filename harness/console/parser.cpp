// The console parser: a table of kernel messages (each a cheap substring guard plus a regex),
// a stack collector for the messages that come with a call trace, and the blamed-frame rule.
#include "harness/console/parser.h"

#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <regex>
#include <set>

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

// One known kernel message. `guard` is a substring that must be present before the regex runs.
struct Pattern {
  EventKind kind;
  const char* guard;
  const char* regex;
  bool has_stack;
  const char* title;  // fmt template; {1}.. are regex groups; " in <frame>" is appended
};

// Order matters: the first matching pattern wins.
const std::array kPatterns = {
    Pattern{EventKind::kHungTask, "blocked for more than",
            R"(INFO: task (.+):(\d+) blocked for more than (\d+) seconds)", true,
            "INFO: task hung"},
    Pattern{EventKind::kSoftLockup, "soft lockup",
            R"(BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[(.+):(\d+)\])", true,
            "BUG: soft lockup"},
    Pattern{EventKind::kHardLockup, "hard LOCKUP", R"(Watchdog detected hard LOCKUP on cpu (\d+))",
            true, "watchdog: hard LOCKUP"},
    Pattern{EventKind::kRcuStall, "detected stall", R"(rcu: INFO: (\S+) (self-)?detected stall)",
            true, "INFO: rcu detected stall"},
    Pattern{EventKind::kWorkqueueLockup, "workqueue lockup", R"(BUG: workqueue lockup)", false,
            "BUG: workqueue lockup"},
    Pattern{EventKind::kKasan, "KASAN", R"(BUG: KASAN: ([\w-]+))", true, "KASAN: {1}"},
    Pattern{EventKind::kOops, "NULL pointer dereference", R"(BUG: kernel NULL pointer dereference)",
            true, "BUG: kernel NULL pointer dereference"},
    Pattern{EventKind::kOops, "unable to handle page fault", R"(BUG: unable to handle page fault)",
            true, "BUG: unable to handle page fault"},
    Pattern{EventKind::kBug, "kernel BUG at", R"(kernel BUG at ([^!]+)!)", true, "kernel BUG"},
    Pattern{EventKind::kGpf, "general protection fault", R"(general protection fault)", true,
            "general protection fault"},
    Pattern{EventKind::kOops, "Oops:", R"(^Oops: )", true, "Oops"},
    Pattern{EventKind::kWarning, "WARNING: CPU:", R"(WARNING: CPU: \d+ PID: \d+ at (\S+) (\S+))",
            true, "WARNING"},
    Pattern{EventKind::kPanic, "Kernel panic - not syncing",
            R"(Kernel panic - not syncing: ?(.*?)\s*\]?\s*$)", false, "kernel panic: {1}"},
    Pattern{EventKind::kOomKill, "out of memory: Killed process",
            R"((Memory cgroup o|O)ut of memory: Killed process (\d+) \(([^)]*)\))", false,
            "out of memory: killed {3}"},
    Pattern{EventKind::kOomKill, "Out of memory: Killed process",
            R"((Memory cgroup o|O)ut of memory: Killed process (\d+) \(([^)]*)\))", false,
            "out of memory: killed {3}"},
    Pattern{EventKind::kNbdStuckRequest, "Possible stuck request",
            R"(block (nbd\d+): Possible stuck request)", false,
            "nbd: possible stuck request on {1}"},
    Pattern{EventKind::kIoError, "I/O error", R"((?:Buffer )?I/O error,? (?:on )?dev (\w+))", false,
            "I/O error on {1}"},
    Pattern{EventKind::kIoError, "-error on swap-device",
            R"((Read|Write)-error on swap-device \(([^)]*)\))", false, "{1} error on swap device"},
    Pattern{EventKind::kNfsNotResponding, "not responding", R"(nfs: server (\S+) not responding)",
            false, "nfs: server not responding"},
    Pattern{EventKind::kIscsiTimeout, "connection",
            R"((connection\d+:\d+): (ping timeout|detected conn error))", false, "iscsi: {2}"},
    Pattern{EventKind::kSysrqDump, "sysrq: Show", R"(sysrq: (Show Blocked State|Show State))",
            false, "sysrq: {1}"},
    Pattern{EventKind::kTaskStack, "state:", R"(^task:(\S+)\s+state:(\S+).*\spid:\s*(\d+))", true,
            "task {1} ({2})"},
};

const std::vector<std::regex>& compiled_patterns() {
  static const std::vector<std::regex> compiled = [] {
    std::vector<std::regex> out;
    for (const auto& p : kPatterns) out.emplace_back(p.regex, std::regex::optimize);
    return out;
  }();
  return compiled;
}

// Generic frames: where tasks wait, lock, allocate or enter the kernel. Blaming them says
// nothing about which subsystem is stuck, so titles name the first frame past them.
const std::set<std::string>& generic_frames() {
  static const std::set<std::string> frames = {"__schedule",
                                               "schedule",
                                               "schedule_timeout",
                                               "io_schedule",
                                               "io_schedule_timeout",
                                               "schedule_preempt_disabled",
                                               "preempt_schedule_common",
                                               "__cond_resched",
                                               "schedule_hrtimeout_range",
                                               "schedule_hrtimeout_range_clock",
                                               "folio_wait_bit_common",
                                               "__folio_lock",
                                               "folio_wait_bit",
                                               "__wait_on_bit",
                                               "out_of_line_wait_on_bit",
                                               "wait_for_completion",
                                               "wait_for_completion_io",
                                               "wait_for_completion_timeout",
                                               "__wait_for_common",
                                               "wait_for_common",
                                               "__mutex_lock",
                                               "__mutex_lock_slowpath",
                                               "mutex_lock",
                                               "mutex_lock_nested",
                                               "rwsem_down_read_slowpath",
                                               "rwsem_down_write_slowpath",
                                               "down_read",
                                               "down_write",
                                               "__down",
                                               "down",
                                               "_raw_spin_lock",
                                               "_raw_spin_lock_irqsave",
                                               "_raw_spin_lock_irq",
                                               "native_queued_spin_lock_slowpath",
                                               "queued_spin_lock_slowpath",
                                               "mempool_alloc",
                                               "__alloc_pages",
                                               "__alloc_pages_slowpath",
                                               "__alloc_pages_direct_reclaim",
                                               "alloc_pages",
                                               "__folio_alloc",
                                               "folio_alloc",
                                               "__perform_reclaim",
                                               "kthread",
                                               "ret_from_fork",
                                               "ret_from_fork_asm",
                                               "do_syscall_64",
                                               "entry_SYSCALL_64_after_hwframe",
                                               "asm_exc_page_fault",
                                               "exc_page_fault",
                                               "do_user_addr_fault",
                                               "handle_mm_fault",
                                               "__handle_mm_fault",
                                               "asm_sysvec_apic_timer_interrupt",
                                               "sysvec_apic_timer_interrupt",
                                               "dump_stack",
                                               "dump_stack_lvl",
                                               "panic",
                                               "show_stack",
                                               "sched_show_task",
                                               "rcu_dump_cpu_stacks",
                                               "nmi_cpu_backtrace",
                                               "native_safe_halt",
                                               "default_idle",
                                               "default_idle_call",
                                               "do_idle",
                                               "cpu_startup_entry",
                                               "asm_common_interrupt",
                                               "process_one_work",
                                               "worker_thread",
                                               "msleep",
                                               "usleep_range_state",
                                               "schedule_timeout_uninterruptible",
                                               "__x64_sys_futex",
                                               "do_futex",
                                               "futex_wait",
                                               "futex_wait_queue"};
  return frames;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Removes ANSI escape sequences (SeaBIOS clears the screen) and stray control bytes.
std::string clean_line(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\x1b') {
      if (i + 1 < raw.size() && raw[i + 1] == '[') {
        i += 2;
        while (i < raw.size() && !std::isalpha(static_cast<unsigned char>(raw[i]))) ++i;
      } else {
        ++i;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') continue;
    out.push_back(c);
  }
  return out;
}

// Splits "[   31.799692] message" into timestamp and message.
bool split_timestamp(std::string_view line, double* ts, std::string_view* message) {
  if (line.size() < 3 || line[0] != '[') return false;
  size_t close = line.find(']');
  if (close == std::string_view::npos || close > 20) return false;
  std::string num(trim(line.substr(1, close - 1)));
  if (num.empty() || num.find_first_not_of("0123456789.") != std::string::npos) return false;
  *ts = std::strtod(num.c_str(), nullptr);
  std::string_view rest = line.substr(close + 1);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  *message = rest;
  return true;
}

// " func+0x1/0x2 [mod]" -> "func"; "? func+.." (unreliable) -> "?" ; otherwise empty.
std::string frame_of(std::string_view message) {
  std::string_view s = trim(message);
  bool unreliable = false;
  if (s.size() > 2 && s[0] == '?' && s[1] == ' ') {
    unreliable = true;
    s.remove_prefix(2);
  }
  if (unreliable && s.rfind("0x", 0) == 0) return "?";  // "? 0xffffffffc035d000": a bare address
  size_t plus = s.find("+0x");
  if (plus == std::string_view::npos || plus == 0) return "";
  std::string_view name = s.substr(0, plus);
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return "";
  }
  if (s.find('/', plus) == std::string_view::npos) return "";
  return unreliable ? "?" : std::string(name);
}

// Lines that belong to a trace without being frames.
bool is_trace_context(std::string_view message) {
  std::string_view s = trim(message);
  static const std::array prefixes = {"Call Trace:",
                                      "<TASK>",
                                      "</TASK>",
                                      "<IRQ>",
                                      "</IRQ>",
                                      "<NMI>",
                                      "</NMI>",
                                      "RIP:",
                                      "RSP:",
                                      "RAX:",
                                      "RDX:",
                                      "RBP:",
                                      "R10:",
                                      "R13:",
                                      "FS:",
                                      "CS:",
                                      "CR2:",
                                      "DR0:",
                                      "DR3:",
                                      "Code:",
                                      "PKRU:",
                                      "Modules linked in:",
                                      "CPU:",
                                      "Hardware name:",
                                      "Workqueue:",
                                      "Tainted:",
                                      "Not tainted",
                                      "---[ end trace",
                                      "ORIG_RAX:",
                                      "irq event stamp:",
                                      "hardirqs ",
                                      "softirqs ",
                                      "Sending NMI",
                                      "NMI backtrace",
                                      "rcu:",
                                      "\"echo 0 >",
                                      "Kernel Offset:",
                                      "#PF:",
                                      "PGD ",
                                      "Oops:",
                                      "Showing"};
  for (const char* p : prefixes) {
    if (s.rfind(p, 0) == 0) return true;
  }
  return false;
}

std::string format_title(const char* templ, const std::smatch& m) {
  std::string out;
  for (const char* p = templ; *p; ++p) {
    if (*p == '{' && std::isdigit(static_cast<unsigned char>(p[1])) && p[2] == '}') {
      size_t group = static_cast<size_t>(p[1] - '0');
      if (group < m.size()) out += m[group].str();
      p += 2;
    } else {
      out.push_back(*p);
    }
  }
  return out;
}

}  // namespace

std::string blamed_frame(const std::vector<std::string>& frames) {
  for (const auto& frame : frames) {
    // "sched_show_task.cold" and "foo.isra.0" are compiler-split parts of the same function.
    std::string f = frame.substr(0, frame.find('.'));
    if (f.empty() || f == "?" || generic_frames().count(f)) continue;
    if (f.rfind("__x64_sys_", 0) == 0 || f.rfind("asm_", 0) == 0) continue;
    return frame;
  }
  return "";
}

std::vector<Event> ConsoleScanner::feed(std::string_view bytes) {
  std::vector<Event> out;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      // A guest flooding the console without newlines must not grow memory without bound:
      // such output is cut into pseudo-lines of kMaxLine bytes.
      constexpr size_t kMaxLine = 64 * 1024;
      size_t start = 0;
      while (partial_.size() - start > kMaxLine) {
        on_line(std::string_view(partial_).substr(start, kMaxLine), &out);
        start += kMaxLine;
      }
      partial_.erase(0, start);
      break;
    }
    if (partial_.empty()) {
      on_line(bytes.substr(0, nl), &out);
    } else {
      partial_.append(bytes.substr(0, nl));
      on_line(partial_, &out);
      partial_.clear();
    }
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
  complete_pending(&out);
  return out;
}

void ConsoleScanner::complete_pending(std::vector<Event>* out) {
  if (!pending_) return;
  pending_ = false;
  in_trace_ = false;
  Event& e = pending_event_;
  std::string frame;
  if (e.kind == EventKind::kWarning && !e.frames.empty() && e.frames.front().empty()) {
    e.frames.erase(e.frames.begin());
  }
  frame = blamed_frame(e.frames);
  if (!frame.empty() && e.kind != EventKind::kTaskStack) e.title += " in " + frame;
  if (e.kind == EventKind::kTaskStack && !frame.empty()) e.title += " in " + frame;
  out->push_back(std::move(e));
  pending_event_ = Event{};
}

void ConsoleScanner::on_line(std::string_view raw, std::vector<Event>* out) {
  ++line_no_;
  std::string line = clean_line(raw);
  double ts = 0;
  std::string_view message = line;
  bool has_ts = split_timestamp(line, &ts, &message);
  if (has_ts) last_ts_ = ts;

  if (pending_) {
    std::string frame = frame_of(message);
    if (!frame.empty()) {
      in_trace_ = true;
      if (frame != "?") pending_event_.frames.push_back(frame);
      return;
    }
    std::string_view t = trim(message);
    if (t.rfind("RIP:", 0) == 0 && pending_event_.kind != EventKind::kHungTask &&
        pending_event_.kind != EventKind::kTaskStack && pending_event_.frames.empty()) {
      // "RIP: 0010:func+0x1/0x2": where an oops or a lockup happened comes first.
      size_t colon = t.find(':', 5);
      if (colon != std::string_view::npos) {
        std::string rip = frame_of(t.substr(colon + 1));
        if (!rip.empty() && rip != "?") pending_event_.frames.push_back(rip);
      }
      return;
    }
    if (pending_event_.kind == EventKind::kHungTask && t.rfind("task:", 0) == 0) {
      std::smatch m;
      static const std::regex task_re(R"(^task:(\S+)\s+state:(\S+))");
      std::string s(t);
      if (std::regex_search(s, m, task_re)) pending_event_.state = m[2].str();
      return;
    }
    if (t.rfind("---[ end trace", 0) == 0) {
      // The kernel's own end marker: the report is complete even if the console then goes quiet.
      complete_pending(out);
      return;
    }
    bool before_trace = !in_trace_ && line_no_ - pending_event_.line < 12;
    if (is_trace_context(message) || (before_trace && t.empty())) return;
    if (before_trace && pending_event_.kind != EventKind::kTaskStack &&
        pending_event_.kind != EventKind::kHungTask) {
      // Oops/BUG headers are followed by a few descriptive lines before the trace.
      bool starts_event = false;
      for (const auto& p : kPatterns) {
        if (message.find(p.guard) != std::string_view::npos) starts_event = true;
      }
      if (!starts_event) return;
    }
    complete_pending(out);
  }

  // "---[ end Kernel panic - not syncing: ... ]---" repeats an event already seen.
  if (trim(message).rfind("---[ end", 0) == 0) return;
  for (size_t i = 0; i < kPatterns.size(); ++i) {
    const Pattern& p = kPatterns[i];
    if (message.find(p.guard) == std::string_view::npos) continue;
    std::smatch m;
    std::string msg(message);
    if (!std::regex_search(msg, m, compiled_patterns()[i])) continue;
    Event e;
    e.kind = p.kind;
    e.line = line_no_;
    if (has_ts) e.timestamp_s = ts;
    e.detail = msg;
    e.title = format_title(p.title, m);
    switch (p.kind) {
      case EventKind::kHungTask:
        e.task = m[1].str();
        e.pid = std::atoi(m[2].str().c_str());
        e.state = "D";
        break;
      case EventKind::kSoftLockup:
        e.task = m[3].str();
        e.pid = std::atoi(m[4].str().c_str());
        break;
      case EventKind::kTaskStack:
        e.task = m[1].str();
        e.state = m[2].str();
        e.pid = std::atoi(m[3].str().c_str());
        break;
      case EventKind::kOomKill:
        e.pid = std::atoi(m[2].str().c_str());
        e.task = m[3].str();
        break;
      case EventKind::kWarning:
        // The function named on the WARNING line is what is blamed, before any trace.
        e.frames.push_back(m[2].str().substr(0, m[2].str().find('+')));
        break;
      default:
        break;
    }
    if (p.has_stack) {
      pending_ = true;
      in_trace_ = false;
      pending_event_ = std::move(e);
    } else {
      out->push_back(std::move(e));
    }
    return;
  }
}

std::vector<Event> parse_events(std::string_view log) {
  ConsoleScanner scanner;
  std::vector<Event> events = scanner.feed(log);
  for (auto& e : scanner.finish()) events.push_back(std::move(e));
  return events;
}

}  // namespace wedge::console
