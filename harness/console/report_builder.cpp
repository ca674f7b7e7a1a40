// Implementation of report_builder.h.
#include "harness/console/report_builder.h"

#include <algorithm>
#include <cstdlib>

#include "harness/console/blame.h"
#include "harness/console/stack_frame.h"

namespace wedge::console {

namespace {

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
  for (std::string_view p : prefixes) {
    if (s.starts_with(p)) return true;
  }
  return false;
}

// "R08: ffff..", "x29: ffff..", "RAX: 0000..", arm32's "r7:00000080 r6:..": a register dump.
bool is_register_line(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 4) return false;
  if (colon + 1 < s.size() && s[colon + 1] != ' ' && s[0] != 'r' && s[0] != 'x') return false;
  for (char c : s.substr(0, colon)) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// A header function ("consume_skb+0x39f/0x530") as a bare name; "" if it is an address.
std::string header_function(std::string_view s) {
  s = s.substr(0, s.find('+'));
  bool all_hex = true;
  for (char c : s) {
    bool symbol = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.';
    if (!symbol) return "";
    all_hex &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  return all_hex || s.starts_with("0x") ? "" : std::string(function_base(s));
}

// The interrupt ran softirq work (kernel/softirq.c, kernel/time/timer.c, net/core/dev.c) on its
// way out: a timer or packet handler looping there is the stall, not the task it interrupted.
bool ran_softirq_work(const std::vector<std::string>& frames) {
  return std::any_of(frames.begin(), frames.end(), [](const std::string& f) {
    std::string_view bare =
        std::string_view(f).substr(std::min(f.find_first_not_of('_'), f.size()));
    for (std::string_view entry : {"call_timer_fn", "run_timer_softirq", "do_softirq",
                                   "handle_softirqs", "net_rx_action", "tasklet_action"}) {
      if (bare.starts_with(entry)) return true;
    }
    return false;
  });
}

// The RCU grace-period kthread's own stack, which stall reports dump first.
bool shows_gp_kthread(const std::vector<std::string>& frames) {
  return std::any_of(frames.begin(), frames.end(),
                     [](const std::string& f) { return f.starts_with("rcu_gp_kthread"); });
}

}  // namespace

bool is_report_context_line(std::string_view message) {
  std::string_view s = trim(message);
  if (s.empty()) return true;
  if (is_register_line(s)) return true;
  return starts_with_any(s, {"Call Trace",
                             "Call trace",
                             "Backtrace",
                             "backtrace:",
                             "stack backtrace:",
                             "<TASK>",
                             "</TASK>",
                             "<IRQ>",
                             "</IRQ>",
                             "<NMI>",
                             "</NMI>",
                             "<EOI>",
                             "<SOFTIRQ>",
                             "</SOFTIRQ>",
                             "RIP:",
                             "EIP:",
                             "IP:",
                             "NIP",
                             "LR ",
                             "pc :",
                             "lr :",
                             "sp :",
                             "PC is at",
                             "LR is at",
                             "Code:",
                             "Modules linked in",
                             "CPU:",
                             "Hardware name:",
                             "Workqueue:",
                             "Tainted:",
                             "Not tainted",
                             "ORIG_RAX",
                             "irq event stamp",
                             "hardirqs ",
                             "softirqs ",
                             "Sending NMI",
                             "NMI backtrace",
                             "rcu:",
                             "\"echo 0 >",
                             "Kernel Offset",
                             "#PF:",
                             "PGD ",
                             "P4D ",
                             "PUD ",
                             "Oops",
                             "Showing",
                             "Dumping ftrace",
                             "(ftrace buffer empty)",
                             "task:",
                             "Mem abort",
                             "ESR =",
                             "EC =",
                             "SET =",
                             "FAR =",
                             "Data abort",
                             "CM =",
                             "user pgtable",
                             "[",
                             "---",
                             "===",
                             "invalid opcode",
                             "kasan:",
                             "KASAN:",
                             "Read of size",
                             "Write of size",
                             "The buggy address",
                             "Memory state",
                             "page:",
                             "flags:",
                             "raw:",
                             "page dumped",
                             "addr ",
                             "Object ",
                             "Redzone",
                             "Padding",
                             "INFO: ",
                             "Internal error",
                             "Process ",
                             "Stack:",
                             "Exception stack",
                             "Register",
                             "Allocated by",
                             "Freed by",
                             "Last potentially",
                             "Second to last",
                             "The buggy",
                             "Uninit was",
                             "Local variable",
                             "Bytes ",
                             "Memory access",
                             "CPU ",
                             "value changed",
                             "Reported by",
                             "Read at addr",
                             "Write at addr",
                             "read to",
                             "write to",
                             "read-write to",
                             "no locks held",
                             "1 lock held",
                             "locks held",
                             "lock held",
                             " #",
                             "#0",
                             "#1",
                             "#2",
                             "other info",
                             "the existing",
                             "which lock",
                             "Chain exists",
                             "Possible unsafe",
                             "*** DEADLOCK",
                             "stack ",
                             "task.stack",
                             "task: ",
                             "preempt_count",
                             "in_atomic",
                             "RCU nest",
                             "Preemption disabled",
                             "caller is",
                             "last function",
                             "Unable to handle",
                             "BUG: KASAN",
                             "Disabling lock debugging",
                             "unreferenced object",
                             "comm \"",
                             "hex dump",
                             "ODEBUG",
                             "refcount_t",
                             "NMI watchdog",
                             "watchdog:"});
}

ReportBuilder::ReportBuilder(const ReportClass& report_class, std::vector<std::string> groups,
                             Event header)
    : class_(&report_class), groups_(std::move(groups)), event_(std::move(header)) {}

void ReportBuilder::replace_class(const ReportClass& report_class,
                                  std::vector<std::string> groups) {
  class_ = &report_class;
  groups_ = std::move(groups);
}

void ReportBuilder::restart_after_irq() {
  frames_.clear();
  ip_.reset();
  in_trace_ = false;
  trace_done_ = false;
  after_irq_ = true;
}

ReportBuilder::Fed ReportBuilder::feed(const ConsoleLine& line) {
  if (!event_.context.empty() && !line.context.empty() && line.context != event_.context) {
    // Another task or CPU printing in between; stall reports dump other CPUs from their own.
    if (!(class_->irq_boundary && line.context.starts_with('C'))) return Fed::kTaken;
  }
  // Lines without a timestamp inside a timestamped report are someone else's output (a
  // fuzzer's program log, a shell) written to the same console.
  if (event_.timestamp_s && !line.timestamp_s && !line.message.empty()) return Fed::kTaken;
  if (++body_lines_ > kMaxReportLines) return Fed::kEnded;
  std::string_view msg = trim(line.message);
  if (msg.starts_with("---[ end trace") || msg.starts_with("---[ end Kernel panic")) {
    return Fed::kEndedWithLine;
  }
  if (class_->frames == FrameSource::kLockAt && !lock_at_) {
    // "(&mm->mmap_lock){++++}, at: func+0x1/0x2", or "... at:" and the frame on the next line.
    size_t at = msg.find("at: ");
    std::string_view where = expect_at_frame_               ? msg
                             : at != std::string_view::npos ? msg.substr(at + 4)
                                                            : std::string_view();
    if (auto f = parse_stack_frame(where)) {
      std::string fn(function_base(f->function));
      bool skipped = is_machinery_frame(fn);
      for (std::string_view s : class_->skip) skipped |= fn.find(s) != std::string::npos;
      if (!skipped) {
        lock_at_ = fn;
        return Fed::kEndedWithLine;
      }
      expect_at_frame_ = false;
      return Fed::kTaken;  // "at: __might_fault": lockdep's own path; the next "at:" names it
    }
    expect_at_frame_ = msg.ends_with(" at:");
    if (expect_at_frame_) return Fed::kTaken;
  }
  if (!in_trace_ && class_->frames != FrameSource::kLockAt && msg.ends_with(" disabled at:")) {
    // "Preemption disabled at:" and the one frame after it (print_preempt_disable_ip() in
    // kernel/sched/core.c) say where preemption went off, not where the report fired.
    skip_next_frame_ = true;
    return Fed::kTaken;
  }
  if (skip_next_frame_) {
    skip_next_frame_ = false;
    if (parse_stack_frame(msg)) return Fed::kTaken;
  }
  if (auto frame = parse_stack_frame(msg)) {
    std::string_view base = function_base(frame->function);
    // Where the interrupted context's stack starts: x86's timer interrupt, arm64's IRQ entry.
    if (class_->irq_boundary &&
        (base.ends_with("apic_timer_interrupt") || base == "sysvec_apic_timer_interrupt" ||
         base == "el1h_64_irq" || base == "el1_irq")) {
      if (!kept_softirq_ && ran_softirq_work(frames_)) kept_softirq_ = trace_done_ = true;
      if (!kept_softirq_) restart_after_irq();
      return Fed::kTaken;
    }
    if (trace_done_) return Fed::kTaken;
    in_trace_ = true;
    stray_lines_ = 0;
    if (frame->reliable && !frame->function.empty() && frames_.size() < kMaxFrames)
      frames_.emplace_back(frame->function);
    return Fed::kTaken;
  }
  if (class_->irq_boundary && (msg == "</IRQ>" || msg == "<EOI>")) {
    if (!kept_softirq_ && ran_softirq_work(frames_)) kept_softirq_ = trace_done_ = true;
    if (!kept_softirq_) restart_after_irq();
    return Fed::kTaken;
  }
  if (auto ip = parse_ip_frame(msg)) {
    if (!ip_ && !trace_done_) ip_ = std::string(*ip);
    return Fed::kTaken;
  }
  if (class_->frames == FrameSource::kLastFunction && msg.starts_with("last function: ")) {
    last_function_ = std::string(trim(msg.substr(15)));
    return Fed::kEndedWithLine;
  }
  if (class_->access_from_body && access_.empty()) {
    for (std::string_view kind : {"Read", "Write"}) {
      for (std::string_view what : {" of size", " at addr"}) {
        size_t pos = msg.find(std::string(kind) + std::string(what));
        if (pos != std::string_view::npos && (pos == 0 || msg[pos - 1] == ' ')) {
          access_ = std::string(kind);
        }
      }
    }
  }
  if (class_->irq_boundary && after_irq_ && !frames_.empty() && msg.starts_with("task:")) {
    return Fed::kEnded;  // the interrupted stack is complete; the next task's is another story
  }
  if (class_->irq_boundary && !after_irq_ && msg.starts_with("task:")) {
    // An RCU stall dumps the grace-period kthread and the tasks holding up the grace period:
    // the first such task's stack is blamed unless the timer interrupt's stack names more.
    if (!frames_.empty() && stalled_task_frames_.empty() && !shows_gp_kthread(frames_)) {
      stalled_task_frames_ = frames_;
    }
    bool nothing_yet = frames_.empty() || shows_gp_kthread(frames_);
    if (nothing_yet && !msg.starts_with("task:rcu_")) {
      frames_.clear();
      ip_.reset();
    }
    in_trace_ = false;
    trace_done_ = !nothing_yet;
    return Fed::kTaken;
  }
  if (event_.kind == EventKind::kHungTask && msg.starts_with("task:")) {
    size_t state = msg.find("state:");
    if (state != std::string_view::npos) {
      std::string_view rest = msg.substr(state + 6);
      event_.state = std::string(rest.substr(0, rest.find(' ')));
    }
    return Fed::kTaken;
  }
  if (in_trace_ && !class_->irq_boundary &&
      starts_with_any(msg, {"Allocated by", "Freed by", "Last potentially", "Second to last",
                            "Uninit was", "Local variable", "NMI backtrace", "Showing all locks",
                            "Sending NMI", "The buggy address", "Memory state"})) {
    return Fed::kEnded;  // a second stack of the same report: the first one is what we blame
  }
  if (is_report_context_line(msg)) return Fed::kTaken;
  // A line that is neither frame nor report text. One such line inside a trace is another
  // CPU or task printing in between; two in a row end the trace.
  if (in_trace_ && ++stray_lines_ < 2) return Fed::kTaken;
  if (in_trace_) {
    if (class_->irq_boundary && !after_irq_) {
      in_trace_ = false;
      trace_done_ = true;  // keep this trace unless the timer interrupt's comes
      if (stalled_task_frames_.empty() && !shows_gp_kthread(frames_))
        stalled_task_frames_ = frames_;
      return Fed::kTaken;
    }
    return Fed::kEnded;
  }
  if (body_lines_ > kMaxLinesBeforeTrace) return Fed::kEnded;
  return Fed::kTaken;
}

std::vector<std::string> ReportBuilder::frames_for_blame() const {
  std::vector<std::string> frames;
  // A blocked task's "RIP:" is where it entered the kernel (or user space), not where it waits.
  bool ip_matters = class_->rule != BlameRule::kHungTask;
  if (ip_ && ip_matters &&
      (frames_.empty() || function_base(frames_.front()) != function_base(*ip_))) {
    frames.push_back(*ip_);
  }
  frames.insert(frames.end(), frames_.begin(), frames_.end());
  return frames;
}

Event ReportBuilder::finish() {
  Event e = std::move(event_);
  e.frames = frames_for_blame();
  const ReportClass& c = *class_;
  std::string blamed;
  switch (c.frames) {
    case FrameSource::kNone:
      break;
    case FrameSource::kHeader: {
      size_t g = static_cast<size_t>(c.header_function_group);
      std::string header = g >= 1 && g <= groups_.size() ? header_function(groups_[g - 1]) : "";
      bool skipped = header.empty() || is_machinery_frame(header);
      for (std::string_view s : c.skip) skipped |= header.find(s) != std::string::npos;
      blamed = skipped ? blame_frames(e.frames, c.rule, c.skip) : header;
      // Nothing in the stack to blame (all frames "? " guesses): the header still names where
      // the report fired, even inside the machinery (KASAN in __unwind_start).
      if (blamed.empty()) blamed = header;
      break;
    }
    case FrameSource::kStack:
      blamed = blame_frames(e.frames, c.rule, c.skip);
      if (blamed.empty() && !stalled_task_frames_.empty()) {
        // The timer interrupt's stack named nothing: the stalled task's dump does.
        e.frames = stalled_task_frames_;
        blamed = blame_frames(e.frames, c.rule, c.skip);
      }
      break;
    case FrameSource::kLockAt:
      blamed = lock_at_ ? *lock_at_ : blame_frames(e.frames, c.rule, c.skip);
      break;
    case FrameSource::kLastFunction:
      blamed = last_function_.value_or("");
      break;
  }
  e.report = expand_title(c.title, groups_);
  if (!access_.empty()) e.report += " " + access_;
  e.blamed = blamed;
  e.title = blamed.empty() ? e.report : e.report + " in " + blamed;
  return e;
}

}  // namespace wedge::console
