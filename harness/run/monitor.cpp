// Implementation of monitor.h: swap traffic and the workload's progress measure both count as
// progress; every sample also goes to the detector (the guest answers; its swap, device I/O and
// in-flight requests); the workload's own findings (data read back wrong) go to the detector.
#include "harness/run/monitor.h"

#include <algorithm>

#include "harness/agent/progress.h"

namespace wedge::run {

detect::GuestSample detect_sample(const agent::MemSnapshot& snap) {
  detect::GuestSample s;
  s.uptime_s = static_cast<double>(snap.uptime_ms) / 1000.0;
  s.swap_pages = snap.pswpout + snap.pswpin;
  if (snap.block_inflight_reads && snap.block_inflight_writes) {
    s.inflight = *snap.block_inflight_reads + *snap.block_inflight_writes;
  }
  if (snap.block_sectors_read && snap.block_sectors_written) {
    s.sectors = *snap.block_sectors_read + *snap.block_sectors_written;
  }
  return s;
}

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
    g.dirty_peak_mib = std::max(g.dirty_peak_mib, numbers_.dirty_mib);
    g.writeback_peak_mib = std::max(g.writeback_peak_mib, numbers_.writeback_mib);
    uint64_t swap_pages = snap.pswpout + snap.pswpin;
    if (detector_ && swap_pages != last_swap_pages_) detector_->on_progress(now_s);
    last_swap_pages_ = swap_pages;
    if (detector_) detector_->on_sample(detect_sample(snap), now_s);
  }
  for (const auto& [job, line] : p.output_lines) absorb_line(line, now_s);
  if (detector_ && !p.output_lines.empty()) detector_->on_guest_output(now_s);
  if (detector_) {
    for (int i = 0; i < p.heartbeats; ++i) detector_->on_heartbeat(now_s);
    for (const auto& e : p.console_events) detector_->on_console_event(e, now_s);
  }
}

void Monitor::absorb_line(const std::string& line, double now_s) {
  if (line.rfind("verify mismatch", 0) == 0) numbers_.verify_failed = true;
  if (!workload_) return;
  if (workload_->parse_progress) {
    if (auto m = workload_->parse_progress(line)) {
      bool moved = !numbers_.workload_reported || m->done != numbers_.workload.done ||
                   m->phase != numbers_.workload.phase;
      if (moved && detector_) detector_->on_progress(now_s);
      numbers_.workload = *m;
      numbers_.workload_reported = true;
      auto& g = numbers_.guest;
      g.workload_done = m->done;
      g.workload_total = m->total;
      g.workload_unit = m->unit;
      g.workload_phase = m->phase;
      if (m->unit == "MiB") g.workload_progress_mib = m->done;
    }
  }
  if (workload_->reports_findings && detector_) {
    if (auto file = agent::parse_file_line(line))
      detector_->on_workload_file(file->path, file->inode);
    if (auto f = agent::parse_finding_line(line)) {
      detector_->on_workload_finding(
          f->kind, agent::describe(*f),
          reports::DataDetails::of_workload(f->file, f->offset, f->length, f->syscall, f->error,
                                            f->what),
          now_s);
    }
  }
}

}  // namespace wedge::run
