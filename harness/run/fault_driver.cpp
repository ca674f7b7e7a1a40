// Implementation of fault_driver.h.
#include "harness/run/fault_driver.h"

#include <fmt/format.h>

#include <cstdint>

namespace wedge::run {

Status FaultDriver::prepare(const faults::InjectorTargets& targets,
                            const std::filesystem::path& fault_log) {
  if (faults_.empty()) return ok_status();
  WEDGE_TRY(injectors_, faults::make_injectors(faults_, targets));
  WEDGE_TRY(faults::Schedule schedule, faults::Schedule::create(faults_));
  schedule_.emplace(std::move(schedule));
  log_.emplace(fault_log);
  record_.assign(faults_.size(), SIZE_MAX);
  return ok_status();
}

void FaultDriver::step(double now, double workload_s, const LiveNumbers& numbers,
                       detect::Detector& detector) {
  if (!schedule_ || stepping_) return;
  stepping_ = true;
  step_now(now, workload_s, numbers, detector);
  stepping_ = false;
}

void FaultDriver::record_stop(double now, size_t i, const Status& s) {
  if (record_[i] != SIZE_MAX) report_faults_[record_[i]].stop_s = now;
  if (s) {
    (void)log_->record_stop(now, i, faults_[i]);
  } else {
    (void)log_->record_error(now, i, faults_[i], "stop", s.error());
  }
}

void FaultDriver::step_now(double now, double workload_s, const LiveNumbers& n,
                           detect::Detector& detector) {
  faults::GuestNumbers numbers;
  if (n.guest.samples > 0) {
    numbers.swap_used_mib = n.swap_used_mib;
    numbers.memfree_mib = n.memfree_mib;
    numbers.dirty_mib = n.dirty_mib;
    numbers.writeback_mib = n.writeback_mib;
    numbers.pswpout = static_cast<double>(n.guest.pswpout);
  }
  numbers.workload_mib = static_cast<double>(n.workload_mib);
  faults::ScheduleStep due = schedule_->step(workload_s, numbers);
  for (size_t i : due.stop) {
    Status s = injectors_[i]->stop();
    record_stop(now, i, s);
    progress_.step(s ? fmt::format("fault ended: {}", injectors_[i]->describe())
                     : fmt::format("fault {} could not be stopped: {}",
                                   config::name_of(faults_[i].kind), s.error().message()));
    active_--;
  }
  for (size_t i : due.start) {
    const auto& fault = faults_[i];
    progress_.finish_status();
    Status s = injectors_[i]->start();
    reports::FaultRecord record;
    record.kind = config::name_of(fault.kind);
    record.start_s = now;
    record_[i] = report_faults_.size();
    if (s) {
      (void)log_->record_start(now, i, fault);
      progress_.step(fmt::format("fault: {}", injectors_[i]->describe()));
      active_++;
    } else {
      record.error = s.error().message();
      (void)log_->record_error(now, i, fault, "start", s.error());
      progress_.step(fmt::format("fault {} could not be applied: {}", config::name_of(fault.kind),
                                 s.error().message()));
    }
    report_faults_.push_back(record);
  }
  detector.on_fault(active_ > 0, now);
}

void FaultDriver::stop_all(double now) {
  if (!schedule_) return;
  for (size_t i : schedule_->stop_remaining()) record_stop(now, i, injectors_[i]->stop());
  active_ = 0;
}

}  // namespace wedge::run
