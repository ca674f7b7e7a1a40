// Implementation of host_watch.h: the order of the checks is the order of blame, from what
// certainly is the host (a full disk, a stopped QEMU) to what needs a grace period to tell.
#include "harness/run/host_watch.h"

#include <fmt/format.h>

namespace wedge::run {

namespace {

bool stopped_state(char state) { return state == 'T' || state == 't'; }

}  // namespace

double HostWatch::held(std::optional<double>& since, bool now_true, double now_s) {
  if (!now_true) {
    since.reset();
    return -1;
  }
  if (!since) since = now_s;
  return now_s - *since;
}

std::vector<std::string> HostWatch::take_events() { return std::exchange(events_, {}); }

HostVerdict HostWatch::judge_stopped(const vm::DomainStatus& d) const {
  const std::string libvirt = fmt::format("libvirt: {}", d.describe());
  if (d.state == vm::DomainState::kCrashed) {
    return {HostVerdict::kGuestStopped, fmt::format("the guest kernel panicked ({})", libvirt)};
  }
  if (d.reason == "shutdown" && d.detail.find("terminating on signal") == std::string::npos) {
    // QEMU's SHUTDOWN came from the guest: it powered off or reset (on_reboot = destroy).
    return {HostVerdict::kGuestStopped,
            fmt::format("the guest powered itself off or reset ({})", libvirt)};
  }
  if (d.reason == "shutdown") {
    return {HostVerdict::kInfra, fmt::format("QEMU was told to stop from outside ({})", libvirt)};
  }
  if (d.reason == "crashed") {
    return {HostVerdict::kInfra,
            fmt::format("QEMU ended without the guest shutting down: killed from outside (the OOM "
                        "killer, an admin) or crashed ({})",
                        libvirt)};
  }
  if (d.reason == "destroyed") {
    return {HostVerdict::kInfra,
            fmt::format("the guest was destroyed from outside wedge ({})", libvirt)};
  }
  return {HostVerdict::kInfra, fmt::format("the guest is gone ({})", libvirt)};
}

HostVerdict HostWatch::observe(const HostSnapshot& s, double now_s) {
  if (s.disk_problem) {
    return {HostVerdict::kInfra,
            fmt::format("the run directory cannot be written: {}", *s.disk_problem)};
  }
  if (held(qemu_stopped_since_, stopped_state(s.qemu_state), now_s) >= grace_.paused_s) {
    return {HostVerdict::kInfra,
            fmt::format("QEMU (pid {}) was stopped from outside (process state {}) for {:.0f} s",
                        s.qemu_pid, s.qemu_state, now_s - *qemu_stopped_since_)};
  }
  if (held(server_since_, s.server_problem.has_value(), now_s) >= grace_.server_s) {
    return {HostVerdict::kInfra, *s.server_problem};
  }

  const bool unknown = s.domain && s.domain->state == vm::DomainState::kUnknown;
  if (unknown && !libvirt_down_since_) {
    libvirt_down_since_ = now_s;
    libvirt_lost_count_++;
    events_.push_back(
        fmt::format("{:.1f} s: {}; the run goes on without it", now_s, s.domain->reason));
  } else if (!unknown && s.domain && libvirt_down_since_) {
    events_.push_back(
        fmt::format("{:.1f} s: libvirt reachable again after {:.1f} s; the guest is {}", now_s,
                    now_s - *libvirt_down_since_, s.domain->describe()));
    libvirt_down_since_.reset();
  }

  if (s.domain && !unknown) {
    const vm::DomainStatus& d = *s.domain;
    if (d.state == vm::DomainState::kPaused) {
      if (d.reason == "ioerror") {
        return {HostVerdict::kInfra,
                fmt::format("libvirt paused the guest after an I/O error on a host-side disk (a "
                            "full disk?) (libvirt: {})",
                            d.describe())};
      }
      bool ours = d.reason == "dump" || d.reason == "starting_up";
      if (held(paused_since_, !ours, now_s) >= grace_.paused_s) {
        return {HostVerdict::kInfra, fmt::format("the guest was paused from outside for {:.0f} s "
                                                 "(libvirt: {})",
                                                 now_s - *paused_since_, d.describe())};
      }
    } else {
      paused_since_.reset();
      if (d.state != vm::DomainState::kRunning && d.state != vm::DomainState::kOther) {
        return judge_stopped(d);
      }
    }
  }

  if (held(channel_lost_since_, s.channel_lost.has_value(), now_s) >= grace_.channel_s) {
    if (libvirt_down_since_) {
      return {HostVerdict::kInfra,
              fmt::format("the agent channel closed ({}) while libvirt was unreachable: the guest "
                          "was most likely stopped with the daemon; the console shows no kernel "
                          "failure",
                          *s.channel_lost)};
    }
    return {HostVerdict::kInfra,
            fmt::format("the agent channel closed ({}) while the guest kept running, and the "
                        "console shows no kernel failure within {:.0f} s",
                        *s.channel_lost, grace_.channel_s)};
  }
  return {};
}

}  // namespace wedge::run
