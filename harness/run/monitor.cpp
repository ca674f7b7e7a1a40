// Implementation of monitor.h: swap traffic and hog progress both count as progress.
#include "harness/run/monitor.h"

#include <algorithm>

#include "harness/agent/progress.h"

namespace wedge::run {

void Monitor::absorb(const Pumped& p, double now_s) {
  auto& g = numbers_.guest;
  numbers_.console.add(now_s, p.console_bytes);
  if (detector_ && p.console_bytes > 0) detector_->on_console_output(now_s);
  for (const auto& snap : p.samples) {
    g.samples++;
    g.pswpout = snap.pswpout;
    g.pswpin = snap.pswpin;
    double swap_used =
        (static_cast<double>(snap.swap_total_kb) - static_cast<double>(snap.swap_free_kb)) / 1024.0;
    double free_mib = static_cast<double>(snap.mem_free_kb) / 1024.0;
    g.swap_peak_mib = std::max(g.swap_peak_mib, swap_used);
    g.memfree_min_mib = g.samples == 1 ? free_mib : std::min(g.memfree_min_mib, free_mib);
    numbers_.swap_used_mib = swap_used;
    numbers_.memfree_mib = free_mib;
    numbers_.dirty_mib = static_cast<double>(snap.dirty_kb) / 1024.0;
    numbers_.writeback_mib = static_cast<double>(snap.writeback_kb) / 1024.0;
    uint64_t swap_pages = snap.pswpout + snap.pswpin;
    if (detector_ && swap_pages != last_swap_pages_) detector_->on_progress(now_s);
    last_swap_pages_ = swap_pages;
  }
  for (const auto& [job, line] : p.output_lines) {
    if (auto prog = agent::parse_progress_line(line)) {
      if (prog->done_mib != numbers_.workload_mib && detector_) detector_->on_progress(now_s);
      numbers_.workload_mib = prog->done_mib;
      g.workload_progress_mib = prog->done_mib;
    }
    if (line.rfind("verify mismatch", 0) == 0) numbers_.verify_failed = true;
  }
  if (detector_) {
    for (int i = 0; i < p.heartbeats; ++i) detector_->on_heartbeat(now_s);
    for (const auto& e : p.console_events) detector_->on_console_event(e, now_s);
  }
}

}  // namespace wedge::run
