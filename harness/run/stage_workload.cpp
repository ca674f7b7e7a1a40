// Implementation of stage_workload.h.
#include "harness/run/stage_workload.h"

#include <thread>

#include "harness/config/kinds.h"
#include "harness/detect/hang_title.h"
#include "harness/run/progress_record.h"
#include "harness/run/stage_traces.h"
#include "harness/util/interrupt.h"
#include "harness/workload_kinds/guest_setup.h"

namespace wedge::run {

using namespace std::chrono_literals;

Status WorkloadStage::run(const std::vector<std::string>& argv) {
  WEDGE_CHECK(prepare_faults().context("preparing faults"));
  ctx_.enter("workload");
  WEDGE_TRY(uint32_t job, in_.session->start_job("workload", argv));
  in_.detector->arm(ctx_.now_s(), in_.workload->parse_progress != nullptr);
  workload_start_s_ = ctx_.now_s();
  workload_started_ = true;
  monitor(job);
  return ok_status();
}

void WorkloadStage::on_pump(double now) {
  if (workload_started_) step_faults(now);
}

Status WorkloadStage::prepare_faults() {
  const config::Scenario& scenario = ctx_.scenario;
  if (scenario.faults.empty()) return ok_status();
  faults::InjectorTargets targets;
  targets.servers = in_.transport->servers();
  targets.restart_timeout = ctx_.timeouts.server_start;
  targets.pause_timeout = ctx_.timeouts.nbdkit_pause;
  targets.set_balloon_mib = [this](int mib) { return set_balloon_mib(mib); };
  targets.guest_memory_mib = scenario.guest.memory_mib;
  targets.set_memory_max = [this](std::optional<int> mib) -> Status {
    std::string value = mib ? std::to_string(static_cast<long long>(*mib) << 20) : "max";
    return in_.session->write_guest_file(std::string(workloads::kCgroupDir) + "/memory.max", value,
                                         ctx_.timeouts.guest_file());
  };
  fault_driver_.emplace(scenario.faults, ctx_.progress, ctx_.report.faults);
  return fault_driver_->prepare(targets, ctx_.run_dir / "faults.jsonl");
}

Status WorkloadStage::set_balloon_mib(int mib) {
  auto* balloon = vm::find<vm::Balloon>(*in_.vm);
  if (balloon == nullptr) return make_error("the VM backend has no balloon");
  return balloon->set_balloon_mib(mib);
}

void WorkloadStage::step_faults(double now) {
  const config::MemoryConfig& m = ctx_.scenario.memory;
  if (m.balloon_mib > 0 && !balloon_applied_ && now - workload_start_s_ >= m.balloon_at_s) {
    // A scenario setting, not a fault: the guest stays squeezed, and hangs are not forgiven.
    // report.json lists it with the faults ("balloon-setting") for when it happened.
    balloon_applied_ = true;
    Status s = set_balloon_mib(m.balloon_mib);
    ctx_.report.faults.push_back(
        {"balloon-setting", now, std::nullopt, s ? "" : s.error().message()});
    ctx_.progress.step(s ? fmt::format("[memory] balloon: guest squeezed to {} MiB", m.balloon_mib)
                         : "[memory] balloon failed: " + s.error().message());
  }
  if (fault_driver_) {
    fault_driver_->step(now, now - workload_start_s_, in_.monitor->numbers(), *in_.detector);
  }
}

void WorkloadStage::collect_traces() {
  TracesOutput t =
      collect_pending_traces(ctx_, {in_.session, in_.vm, in_.detector, in_.host, in_.transport});
  if (t.collected > 0) wedged_ = true;
}

void WorkloadStage::monitor(uint32_t workload_job) {
  GuestSession& session = *in_.session;
  detect::Detector& detector = *in_.detector;
  auto deadline = ctx_.run_start + std::chrono::seconds(ctx_.scenario.limits.duration_s);
  double last_status = -1;
  double last_turn = ctx_.now_s();
  // The loop itself must keep turning: one turn that took this long is worth a host event
  // (nothing in it waits on the guest; libvirt or a loaded host can still hold it up).
  const double slow_turn_s = in_seconds(ctx_.timeouts.slow_monitor_turn());
  bool workload_exit_seen = false;
  while (!detector.done()) {
    Pumped p = session.pump();
    double now = ctx_.now_s();
    if (now - last_turn >= slow_turn_s) {
      ctx_.note_host_event(fmt::format("{:.1f} s: wedge's monitor loop did not turn for {:.1f} s",
                                       now, now - last_turn));
    }
    last_turn = now;
    in_.host->sample(now, detector);
    // The job's state, not this turn's events: an exit the trace collector's own reads took
    // off the channel is in the state too.
    if (const JobState& js = session.job(workload_job); js.exited && !workload_exit_seen) {
      workload_exit_seen = true;
      ctx_.report.guest.workload_exit_code = js.exit_code;
      ctx_.report.guest.workload_signal = js.signal;
      if (!js.output.empty() && js.spawn_failed)
        ctx_.progress.step("workload failed to start: " + js.output);
      detector.on_workload_exit(js.exit_code, js.signal, in_.monitor->numbers().verify_failed, now);
    }
    if (p.channel_error) in_.host->channel_lost(*p.channel_error);
    if (in_.host->failed(now, &detector)) break;
    step_faults(now);
    detector.tick(now);
    collect_traces();
    last_turn = ctx_.now_s();  // collecting traces takes its time on purpose
    if (interrupted()) break;
    if (std::chrono::steady_clock::now() >= deadline && !detector.done()) {
      ctx_.report.infra_error.clear();
      detector.on_deadline(now);
    }
    if (now - last_status >= 1) {
      last_status = now;
      in_.host->observe_servers(now);
      show_progress(now);
    }
    std::this_thread::sleep_for(100ms);
  }
  ctx_.progress.finish_status();
  read_cgroup_numbers();
  read_workload_result();
  if (fault_driver_) fault_driver_->stop_all(ctx_.now_s());
  if (interrupted() || in_.host->failure()) return;
  wait_for_spinning_cpu_report();
  // The workload may have died from an oops whose report is the console's last output: give
  // the rest of it a moment to arrive, then close the console stream before the verdict.
  for (int i = 0; i < 10; ++i) {
    (void)session.pump();
    std::this_thread::sleep_for(100ms);
  }
  (void)session.finish_console();
  collect_traces();
}

void WorkloadStage::show_progress(double now) {
  const LiveNumbers& n = in_.monitor->numbers();
  append_progress_record(ctx_.run_dir, now, n.workload_reported ? &n.workload : nullptr,
                         in_.transport->servers());
  const char* kind = config::name_of(ctx_.scenario.workload.kind);
  const agent::Measure& w = n.workload;
  std::string workload = !n.workload_reported
                             ? fmt::format("{} running", kind)
                             : fmt::format("{} {}/{} {}{}", kind, w.done, w.total, w.unit,
                                           w.phase.empty() ? "" : " " + w.phase);
  ctx_.progress.status(fmt::format(
      "{} | Dirty {:.0f} MiB Writeback {:.0f} MiB | swap used {:.0f} MiB (peak {:.0f}) | "
      "pswpout {} | MemFree {:.0f} "
      "MiB | heartbeat {:.1f} s ago{}",
      workload, n.dirty_mib, n.writeback_mib, n.swap_used_mib, n.guest.swap_peak_mib,
      n.guest.pswpout, n.memfree_mib, now - in_.session->last_heartbeat_s(),
      n.console.flooding()
          ? fmt::format(" | console flood ({:.0f} MiB so far)", n.console.total_bytes() / 1048576.0)
          : ""));
}

void WorkloadStage::wait_for_spinning_cpu_report() {
  detect::Detector& detector = *in_.detector;
  std::optional<double> hang_s = detect::awaits_spinning_cpu_report(detector.findings());
  if (!hang_s) return;
  std::chrono::duration<double> wait = ctx_.timeouts.spinning_cpu_report();
  ctx_.progress.step(fmt::format("hang waits for RCU or a CPU: up to {:.0f} s for the CPU's report",
                                 *hang_s + wait.count() - ctx_.now_s()));
  while (ctx_.now_s() < *hang_s + wait.count() && !interrupted() &&
         detect::awaits_spinning_cpu_report(detector.findings())) {
    (void)in_.session->pump();
    std::this_thread::sleep_for(100ms);
  }
}

// memory.events and the peak usage of the workload cgroup, while the agent still answers.
void WorkloadStage::read_cgroup_numbers() {
  auto& cg = ctx_.report.cgroup;
  GuestSession& session = *in_.session;
  if (!cg.used ||
      ctx_.now_s() - session.last_heartbeat_s() > in_seconds(ctx_.timeouts.agent_recent))
    return;
  std::string dir = workloads::kCgroupDir;
  if (auto events =
          session.read_guest_file(dir + "/memory.events", 4096, ctx_.timeouts.guest_counters())) {
    cg.events = workloads::parse_memory_events(*events);
  }
  if (auto peak =
          session.read_guest_file(dir + "/memory.peak", 64, ctx_.timeouts.guest_counters())) {
    cg.current_peak_mib = static_cast<double>(std::strtoull(peak->c_str(), nullptr, 10)) / 1048576;
  }
}

// The workload's own result file (fio's JSON), once it has exited and while the agent answers.
void WorkloadStage::read_workload_result() {
  const workloads::WorkloadEntry& w = *in_.workload;
  auto& g = ctx_.report.guest;
  if (!w.result_file || !w.parse_result || !g.workload_exit_code) return;
  if (ctx_.now_s() - in_.session->last_heartbeat_s() > in_seconds(ctx_.timeouts.agent_recent))
    return;
  auto text = in_.session->read_guest_file(w.result_file, workloads::kResultFileMaxBytes,
                                           ctx_.timeouts.guest_file());
  if (!text) {
    ctx_.progress.step(
        fmt::format("workload result {}: {}", w.result_file, text.error().message()));
    return;
  }
  g.workload_result = w.parse_result(*text);
}

}  // namespace wedge::run
