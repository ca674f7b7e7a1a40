// Pure parsing of kernel console bytes into events: no clock, no I/O. A ConsoleScanner takes
// bytes as they arrive and returns events as soon as they are complete (a report with a stack
// completes when its stack ends); parse_events() does the same over a whole saved log.
// The console is written by the kernel under test and treated as hostile: each line is cut to
// kMaxLineBytes (the rest is counted, never stored), a report keeps a bounded number of frames
// and lines, and matching is linear-time (RE2), so any input finishes in bounded memory.
// With printk caller ids ("[  T1234]", "[    C0]") the lines of reports printed at the same
// time are untangled: each line goes to the open report whose header has its caller id, and
// reports are handed out in the order their headers came.
//
//   console::ConsoleScanner scanner;
//   for (auto& e : scanner.feed(new_bytes)) handle(e);
//   auto events = console::parse_events(saved_log);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"

namespace wedge::console {

class ReportBuilder;

class ConsoleScanner {
 public:
  static constexpr size_t kMaxLineBytes = 2048;
  static constexpr size_t kMaxOpenReports = 4;  // reports of different callers read at once
  static constexpr int kMaxIdleLines = 200;     // an open report no line came to this long ends

  ConsoleScanner();
  ~ConsoleScanner();
  ConsoleScanner(ConsoleScanner&&) noexcept;
  ConsoleScanner& operator=(ConsoleScanner&&) noexcept;

  // Feeds bytes (any split); returns the events completed by them.
  [[nodiscard]] std::vector<Event> feed(std::string_view bytes);
  // Ends the input: completes a pending event and a last unterminated line.
  [[nodiscard]] std::vector<Event> finish();
  // The console has been quiet (the caller keeps the clock): completes every open report, as
  // a stalled kernel may print nothing after one (an RCU stall's trace has no end marker). A
  // partial line stays; later lines are read as usual.
  [[nodiscard]] std::vector<Event> complete_open_reports();
  [[nodiscard]] bool has_open_report() const { return !open_.empty(); }
  // Console lines seen so far.
  [[nodiscard]] int lines() const { return line_no_; }
  // The latest printk timestamp seen, if any.
  [[nodiscard]] double last_timestamp_s() const { return last_ts_; }
  // Bytes of over-long lines that were counted and dropped.
  [[nodiscard]] uint64_t dropped_bytes() const { return dropped_bytes_; }

 private:
  void on_line(std::string_view raw, std::vector<Event>* out);
  // The open report a line with this caller id belongs to, or nullptr.
  [[nodiscard]] ReportBuilder* report_for(std::string_view context) const;
  void complete(ReportBuilder* report, std::vector<Event>* out);
  void complete_all(std::vector<Event>* out);
  // Hands out completed reports that no older open report precedes.
  void release_completed(std::vector<Event>* out);

  std::string partial_;
  bool partial_overflowed_ = false;
  uint64_t dropped_bytes_ = 0;
  int line_no_ = 0;
  double last_ts_ = 0;
  std::vector<std::unique_ptr<ReportBuilder>> open_;  // oldest first
  std::vector<Event> completed_;                      // waiting for an older open report, by line
};

[[nodiscard]] std::vector<Event> parse_events(std::string_view log);

// The frame a kernel developer would blame for a blocked task's stack: past the scheduler,
// wait and lock primitives (the hung-task rule of blame.h). Empty when all are generic.
[[nodiscard]] std::string blamed_frame(const std::vector<std::string>& frames);

}  // namespace wedge::console
