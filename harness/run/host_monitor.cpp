// Implementation of host_monitor.h.
#include "harness/run/host_monitor.h"

#include "harness/run/host_probes.h"
#include "harness/run/qemu_cpu.h"
#include "harness/storage/ports.h"

namespace wedge::run {

bool HostMonitor::failed(double now, detect::Detector* detector) {
  HostSnapshot s;
  if (auto status = vm_.status(); status) {
    s.domain = *status;
  } else {
    s.domain_error = status.error().message();
  }
  s.channel_lost = channel_lost_;
  s.qemu_pid = vm::qemu_pid_of(vm_);
  s.qemu_state = process_state_or_zero(s.qemu_pid);
  if (now - last_slow_probe_s_ >= 1) {
    last_slow_probe_s_ = now;
    server_problem_.reset();
    if (!server_fault_in_effect(ctx_.report.faults, now)) {
      if (auto stopped = stopped_child_process()) {
        server_problem_ = fmt::format(
            "{}, started by this run, was stopped from outside (SIGSTOP?) while no fault was "
            "scheduled",
            *stopped);
      }
      for (storage::Server* server : transport_.servers()) {
        if (server_problem_ || server->healthy()) continue;
        std::string ended = server->exit_description();
        std::string log = storage::log_tail(server->log_path(), 3);
        server_problem_ = fmt::format(
            "the storage server {} stopped serving ({}) while no fault was scheduled{}",
            server->describe(), ended.empty() ? "its port closed" : "its process: " + ended,
            log.empty() ? "; its log is empty" : "; its log ends with: " + log);
      }
    }
    disk_problem_ = session_ != nullptr
                        ? disk_problem(ctx_.run_dir, session_->log_errno(), session_->log_status())
                        : disk_problem(ctx_.run_dir, 0, ok_status());
  }
  s.server_problem = server_problem_;
  s.disk_problem = disk_problem_;
  HostVerdict verdict = watch_.observe(s, now);
  for (const auto& event : watch_.take_events()) ctx_.note_host_event(event);
  if (verdict.kind == HostVerdict::kGuestStopped && detector != nullptr) {
    detector->on_domain_gone(verdict.reason, now);
    return false;
  }
  if (verdict.kind != HostVerdict::kInfra) return false;
  failure_ = verdict.reason;
  ctx_.progress.finish_status();
  ctx_.progress.step("host failure: " + verdict.reason);
  return true;
}

void HostMonitor::sample(double now, detect::Detector& detector) {
  if (last_sample_s_ >= 0 && now - last_sample_s_ < 0.5) return;
  last_sample_s_ = now;
  detect::HostSample h;
  if (auto cpu = read_qemu_cpu(vm::qemu_pid_of(vm_))) {
    h.qemu_cpu_s = cpu->cpu_s;
    if (cpu->wait_known) h.qemu_wait_s = cpu->wait_s;
    if (cpu->vcpus > 0) {
      h.vcpu_cpu_s = cpu->vcpu_cpu_s;
      h.vcpus = cpu->vcpus;
    }
  }
  if (!transport_.servers().empty()) {
    uint64_t in = 0, out = 0;
    for (storage::Server* server : transport_.servers()) {
      storage::ServerStats stats = server->stats();
      in += stats.bytes_from_guest;
      out += stats.bytes_to_guest;
    }
    h.server_bytes_in = in;
    h.server_bytes_out = out;
  }
  detector.on_host(h, now);
  if (!storage_lost_) note_storage_lost(detector);
}

void HostMonitor::note_storage_lost(detect::Detector& detector) {
  std::vector<const storage::ServerGuest*> guests;
  for (storage::Server* server : transport_.servers()) {
    if (const storage::ServerGuest* guest = server->server_guest()) guests.push_back(guest);
  }
  std::optional<std::string> death = storage::storage_lost_for_good(guests);
  if (!death) return;
  storage_lost_ = true;
  ctx_.progress.step(
      fmt::format("the server guest's kernel died ({}): its storage cannot come back, no recovery "
                  "is waited for",
                  *death));
  detector.on_storage_lost();
}

void HostMonitor::observe_servers(double now) {
  std::vector<storage::Server*> servers = transport_.servers();
  if (servers.empty()) return;
  storage::ServerStats sum;
  for (const storage::Server* server : servers) {
    storage::ServerStats one = server->stats();
    sum.bytes_from_guest += one.bytes_from_guest;
    sum.bytes_to_guest += one.bytes_to_guest;
    sum.bytes_queued_to_server += one.bytes_queued_to_server;
  }
  server_silence_.observe(now, sum.bytes_from_guest, sum.bytes_to_guest,
                          sum.bytes_queued_to_server);
}

}  // namespace wedge::run
