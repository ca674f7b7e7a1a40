// Collects the body of one kernel report line by line (its stack, the faulting instruction,
// lockdep's "at:" line, KASAN's access kind) within fixed bounds, and turns it into an Event
// with its title and blamed frame when the report ends. Used by ConsoleScanner only.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/console/console_line.h"
#include "harness/console/events.h"
#include "harness/console/report_classes.h"

namespace wedge::console {

class ReportBuilder {
 public:
  static constexpr size_t kMaxFrames = 128;    // frames kept; deeper ones are only counted
  static constexpr int kMaxReportLines = 400;  // a report spans at most this many lines
  static constexpr int kMaxLinesBeforeTrace = 60;

  ReportBuilder(const ReportClass& report_class, std::vector<std::string> groups, Event header);

  enum class Fed {
    kTaken,          // the line belongs to the report
    kEnded,          // the report ended before this line: complete it, then parse the line
    kEndedWithLine,  // the line ended the report and belongs to it
  };
  [[nodiscard]] Fed feed(const ConsoleLine& line);

  // A prelude ("ODEBUG: ...") followed by the report's real header: the header's class.
  void replace_class(const ReportClass& report_class, std::vector<std::string> groups);

  [[nodiscard]] const ReportClass& report_class() const { return *class_; }
  [[nodiscard]] bool trace_started() const { return in_trace_ || !frames_.empty(); }
  // The printk caller id of the header line ("T31", "C0"), "" when the kernel printed none.
  [[nodiscard]] std::string_view context() const { return event_.context; }
  // The console line of the header, and the last console line the report took.
  [[nodiscard]] int start_line() const { return event_.line; }
  [[nodiscard]] int last_line() const { return last_line_; }
  void took_line(int line) { last_line_ = line; }
  [[nodiscard]] Event finish();

 private:
  void restart_after_irq();
  [[nodiscard]] std::vector<std::string> frames_for_blame() const;

  const ReportClass* class_;
  std::vector<std::string> groups_;
  Event event_;
  std::vector<std::string> frames_;
  std::vector<std::string> stalled_task_frames_;  // RCU stalls: the first task dump's stack
  std::optional<std::string> ip_;
  std::optional<std::string> lock_at_;
  std::optional<std::string> last_function_;
  std::string access_;  // "Read" / "Write"
  int body_lines_ = 0;
  int last_line_ = 0;
  bool in_trace_ = false;
  bool trace_done_ = false;  // irq_boundary reports: the first trace ended, wait for the IRQ's
  bool after_irq_ = false;
  bool expect_at_frame_ = false;
  bool skip_next_frame_ = false;
  bool kept_softirq_ = false;  // stalls: the interrupt's softirq work is the stack to blame  // the
                               // frame after "Preemption disabled at:"
  int stray_lines_ = 0;  // consecutive lines inside a trace that are not part of it  // lockdep
                         // printed "... at:" with the frame on the next line
};

// Lines that belong to a report without being frames: registers, trace markers, banners.
[[nodiscard]] bool is_report_context_line(std::string_view message);

}  // namespace wedge::console
