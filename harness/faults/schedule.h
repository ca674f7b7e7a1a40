// The fault schedule: given the scenario's faults, decides at each tick which faults start and
// which stop. Pure (no clock, no I/O): the run passes the time since the workload started and
// the guest's current numbers, then applies the answer with injectors (injectors.h).
//
//   WEDGE_TRY(faults::Schedule schedule, faults::Schedule::create(scenario.faults));
//   while (running) {                       // e.g. every agent sample
//     faults::ScheduleStep step = schedule.step(seconds_since_workload_start, numbers);
//     for (size_t i : step.stop) ...        // injectors[i]->stop(), log "stop"
//     for (size_t i : step.start) ...       // injectors[i]->start(), log "start"
//   }
//   for (size_t i : schedule.stop_remaining()) ...  // at the end: undo what is still active
//
// Each fault fires once. An at_s fault starts at the first step with now_s >= at_s; a when
// fault at the first step whose numbers make its expression true. A fault stops at the first
// step at least its duration after the step that started it (server-restart: restart_after_s).
// Faults that never stop on their own: reset (an instant), server-crash (the server stays
// down), and duration_s = 0 (until the end: stop_remaining() returns them).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/config/trigger.h"
#include "harness/util/result.h"

namespace wedge::faults {

// Triggers belong to the scenario model; the schedule evaluates them.
using config::evaluate;
using config::GuestNumbers;
using config::parse_trigger;
using config::Trigger;

// Indices into the fault list given to Schedule::create. Stops come before starts.
struct ScheduleStep {
  std::vector<size_t> start;
  std::vector<size_t> stop;
  [[nodiscard]] bool empty() const { return start.empty() && stop.empty(); }
};

enum class FaultPhase { kPending, kActive, kDone };

class Schedule {
 public:
  // Fails when a `when` expression does not parse (the loader already checked them).
  [[nodiscard]] static Result<Schedule> create(const std::vector<config::FaultConfig>& faults);

  // now_s: seconds since the workload started (never decreasing). numbers.elapsed_s is set to
  // now_s before the triggers see it.
  [[nodiscard]] ScheduleStep step(double now_s, GuestNumbers numbers);

  // The faults still active (all with duration_s = 0, or cut short by the end of the run),
  // latest started first, to be undone in that order; all faults become done. Call once when
  // the run ends.
  [[nodiscard]] std::vector<size_t> stop_remaining();

  [[nodiscard]] FaultPhase phase(size_t index) const { return entries_.at(index).phase; }
  // When a fault started (now_s of that step), if it did.
  [[nodiscard]] std::optional<double> started_at(size_t index) const {
    return entries_.at(index).started_at;
  }
  // No fault is pending or active.
  [[nodiscard]] bool finished() const;
  [[nodiscard]] size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::optional<double> at_s;
    std::optional<Trigger> when;
    std::optional<double> lasts_s;  // nullopt: never stops by itself
    bool instant = false;           // done as soon as started (reset, server-crash)
    FaultPhase phase = FaultPhase::kPending;
    std::optional<double> started_at;
  };
  std::vector<Entry> entries_;
  std::vector<size_t> start_order_;
};

}  // namespace wedge::faults
