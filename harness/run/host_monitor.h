// The host side of watching a run: one look at QEMU, the hypervisor, the storage servers and
// the run directory's disk says whether the host failed under the guest (an infra error) or
// the guest stopped by itself (a crash, for the detector); QEMU's CPU time and the servers'
// byte counts feed the detector; the servers' answers feed the silent-server evidence of a
// hang's title. Used by the boot stage (a guest that never said hello because QEMU died did
// not fail to boot) and the workload stage.
//
//   HostMonitor host(ctx, vm, transport);
//   if (host.failed(now, &detector)) return;   // host.failure() says how
//   host.sample(now, detector);                // twice a second at most
#pragma once

#include <optional>
#include <string>

#include "harness/detect/detector.h"
#include "harness/detect/server_silence.h"
#include "harness/run/guest_session.h"
#include "harness/run/host_watch.h"
#include "harness/run/run_context.h"
#include "harness/storage/transport.h"
#include "harness/vm/vm.h"

namespace wedge::run {

class HostMonitor {
 public:
  HostMonitor(RunContext& ctx, vm::Instance& vm, storage::Transport& transport)
      : ctx_(ctx), vm_(vm), transport_(transport) {}

  // The guest's session, once there is one (its logs tell a full disk).
  void use_session(const GuestSession* session) { session_ = session; }
  // The agent channel's error once it closed (the first one is kept).
  void channel_lost(const std::string& error) {
    if (!channel_lost_) channel_lost_ = error;
  }
  // One look at the host side: true when the host failed (failure() says how). A guest that
  // stopped by itself goes to detector (when given) as a crash.
  [[nodiscard]] bool failed(double now, detect::Detector* detector);
  [[nodiscard]] const std::optional<std::string>& failure() const { return failure_; }
  // QEMU's CPU time and the storage relay's byte counts, for the detector (twice a second).
  void sample(double now, detect::Detector& detector);
  // Feeds the host servers' byte counters and the bytes queued toward them to the
  // silent-server evidence (once a second, and once more when a hang's title is decided).
  void observe_servers(double now);
  [[nodiscard]] const detect::ServerSilence& server_silence() const { return server_silence_; }

 private:
  // Server guests whose kernels all died take the storage with them for good (one RAID1 leg's
  // does not): tells the detector.
  void note_storage_lost(detect::Detector& detector);

  RunContext& ctx_;
  vm::Instance& vm_;
  storage::Transport& transport_;
  const GuestSession* session_ = nullptr;
  HostWatch watch_;
  std::optional<std::string> failure_;       // the host failed: an infra error with this reason
  std::optional<std::string> channel_lost_;  // the agent channel's error once it closed
  double last_slow_probe_s_ = -1;            // server and disk are looked at once a second
  double last_sample_s_ = -1;
  std::optional<std::string> server_problem_;
  std::optional<std::string> disk_problem_;
  detect::ServerSilence server_silence_;  // did the host's server answer the guest
  bool storage_lost_ = false;             // a server guest's kernel died (told once)
};

}  // namespace wedge::run
