// Pure parsing of kernel console bytes into events: no clock, no I/O. A ConsoleScanner takes
// bytes as they arrive and returns events as soon as they are complete (an event with a stack
// completes when the stack ends); parse_events() does the same over a whole saved log.
//
//   console::ConsoleScanner scanner;
//   for (auto& e : scanner.feed(new_bytes)) handle(e);
//   auto events = console::parse_events(saved_log);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/console/events.h"

namespace wedge::console {

class ConsoleScanner {
 public:
  // Feeds bytes (any split); returns the events completed by them.
  [[nodiscard]] std::vector<Event> feed(std::string_view bytes);
  // Ends the input: completes a pending event and a last unterminated line.
  [[nodiscard]] std::vector<Event> finish();
  // Console lines seen so far.
  [[nodiscard]] int lines() const { return line_no_; }
  // The latest printk timestamp seen, if any.
  [[nodiscard]] double last_timestamp_s() const { return last_ts_; }

 private:
  void on_line(std::string_view raw, std::vector<Event>* out);
  void complete_pending(std::vector<Event>* out);

  std::string partial_;
  int line_no_ = 0;
  double last_ts_ = 0;
  bool pending_ = false;
  bool in_trace_ = false;
  Event pending_event_{};
};

[[nodiscard]] std::vector<Event> parse_events(std::string_view log);

// The frame a kernel developer would blame: the first one that is not generic
// scheduling, locking, allocation or entry code. Empty when all are generic.
[[nodiscard]] std::string blamed_frame(const std::vector<std::string>& frames);

}  // namespace wedge::console
