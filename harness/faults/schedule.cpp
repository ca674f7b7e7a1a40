// Implementation of schedule.h.
#include "harness/faults/schedule.h"

#include <algorithm>

#include "harness/config/fault_kind.h"

namespace wedge::faults {

Result<Schedule> Schedule::create(const std::vector<config::FaultConfig>& faults) {
  Schedule schedule;
  for (size_t i = 0; i < faults.size(); ++i) {
    const config::FaultConfig& f = faults[i];
    Entry e;
    e.at_s = f.at_s;
    if (!f.when.empty()) {
      auto trigger = parse_trigger(f.when);
      if (!trigger) {
        return trigger.error().context(
            fmt::format("fault {} ({}) when = \"{}\"", i, config::name_of(f.kind), f.when));
      }
      e.when = std::move(*trigger);
    }
    if (!e.at_s && !e.when) {
      return make_error("fault {} ({}) has neither at_s nor when", i, config::name_of(f.kind));
    }
    const config::FaultKindSpec& spec = config::fault_kind(f.kind);
    if (spec.instant) {
      e.instant = true;
    } else if (*spec.lasts_key != '\0') {
      e.lasts_s = f.param(spec.lasts_key);
    } else if (f.duration_s > 0) {
      e.lasts_s = f.duration_s;
    }
    schedule.entries_.push_back(std::move(e));
  }
  return schedule;
}

ScheduleStep Schedule::step(double now_s, GuestNumbers numbers) {
  numbers.elapsed_s = now_s;
  ScheduleStep out;
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.phase != FaultPhase::kActive || !e.lasts_s) continue;
    if (now_s >= *e.started_at + *e.lasts_s) {
      e.phase = FaultPhase::kDone;
      out.stop.push_back(i);
    }
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.phase != FaultPhase::kPending) continue;
    bool due = e.at_s ? now_s >= *e.at_s : evaluate(*e.when, numbers);
    if (!due) continue;
    e.phase = e.instant ? FaultPhase::kDone : FaultPhase::kActive;
    e.started_at = now_s;
    start_order_.push_back(i);
    out.start.push_back(i);
  }
  return out;
}

std::vector<size_t> Schedule::stop_remaining() {
  std::vector<size_t> out;
  for (auto it = start_order_.rbegin(); it != start_order_.rend(); ++it) {
    size_t i = *it;
    if (entries_[i].phase == FaultPhase::kActive) out.push_back(i);
  }
  for (Entry& e : entries_) e.phase = FaultPhase::kDone;
  return out;
}

bool Schedule::finished() const {
  return std::all_of(entries_.begin(), entries_.end(),
                     [](const Entry& e) { return e.phase == FaultPhase::kDone; });
}

}  // namespace wedge::faults
