// Tells the host's failures apart from the kernel's while a run watches its guest, so that a
// host event never becomes exit 1 for `git bisect run`: QEMU killed, crashed or stopped from
// outside, the guest paused by an I/O error or from outside, libvirtd restarted (the guest
// goes on: only recorded) or gone, the storage server dead or stopped outside a scheduled
// fault, the run directory's disk full. A lost agent channel alone is never a crash: the
// console decides (the detector's crash finding comes first); if it shows nothing within a
// grace period, it is an infra error. No clock, no I/O: the run loop feeds it snapshots.
//
//   HostWatch watch;
//   HostSnapshot s;  s.domain = *vm.status();  s.channel_lost = p.channel_error.has_value();
//   HostVerdict v = watch.observe(s, now);
//   if (v.kind == HostVerdict::kInfra) report infra_error = v.reason;
//   for (auto& e : watch.take_events()) note(e);   // "libvirt unreachable: ..."
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/util/timeouts.h"
#include "harness/vm/vm.h"

namespace wedge::run {

struct HostSnapshot {
  std::optional<vm::DomainStatus> domain;  // nullopt: asking libvirt failed (domain_error says)
  std::string domain_error;
  std::optional<std::string> channel_lost;  // the agent channel's error, once it closed
  int qemu_pid = 0;
  char qemu_state = 0;  // /proc state of QEMU: 'T'/'t' stopped, 0 unknown or gone
  std::optional<std::string> server_problem;  // the storage server failed outside a fault
  std::optional<std::string> disk_problem;    // the run directory cannot be written (full)
};

struct HostVerdict {
  enum Kind { kNone, kInfra, kGuestStopped };
  Kind kind = kNone;
  // kInfra: what the host did. kGuestStopped: the guest itself powered off or reset (a kernel
  // failure, for the detector).
  std::string reason;
};

class HostWatch {
 public:
  struct Grace {
    // The timeout table's (harness/util/timeouts.h): host conditions, never scaled.
    double channel_s = in_seconds(Timeouts{}.channel_lost_grace);  // channel closed, no crash
    double paused_s = in_seconds(Timeouts{}.paused_grace);  // paused from outside, QEMU stopped
    double server_s = in_seconds(Timeouts{}.server_down_grace);  // the storage server down
  };
  HostWatch() = default;
  explicit HostWatch(Grace grace) : grace_(grace) {}

  [[nodiscard]] HostVerdict observe(const HostSnapshot& s, double now_s);
  // Host events worth recording that are not failures ("12.0 s: libvirt unreachable ...").
  [[nodiscard]] std::vector<std::string> take_events();
  // The guest was unreachable through libvirt at some point (for the report).
  [[nodiscard]] bool libvirt_was_lost() const { return libvirt_lost_count_ > 0; }

 private:
  HostVerdict judge_stopped(const vm::DomainStatus& d) const;
  // Seconds a condition has held, starting its clock when first seen (reset when it clears).
  double held(std::optional<double>& since, bool now_true, double now_s);

  Grace grace_;
  std::vector<std::string> events_;
  std::optional<double> libvirt_down_since_;
  int libvirt_lost_count_ = 0;
  std::optional<double> channel_lost_since_;
  std::optional<double> paused_since_;
  std::optional<double> qemu_stopped_since_;
  std::optional<double> server_since_;
};

}  // namespace wedge::run
