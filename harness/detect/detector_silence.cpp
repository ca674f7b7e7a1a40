// Detector rules for silence: host samples (QEMU's CPU time, the storage relay's bytes), when
// a silent guest is a hang or a host that starved it (an infra error), and when stillness is a
// confirmed deadlock before stall_s.
#include <fmt/format.h>

#include <algorithm>

#include "harness/detect/detector.h"
#include "harness/detect/hang_title.h"

namespace wedge::detect {

namespace {
// A halted vCPU thread sleeps: under this share of one CPU it did no guest work.
constexpr double kHaltedVcpuShare = 0.05;
// QEMU starved: under this share of one CPU while its threads waited to run at least
// kStarvedWaitShare of the wall time (an idle guest's QEMU uses little CPU but never waits).
constexpr double kStarvedCpuShare = 0.05;
constexpr double kStarvedWaitShare = 0.25;
// Host samples kept beyond the longest window judged.
constexpr double kHostHistorySlackS = 10;
constexpr size_t kMaxHostSamples = 4096;

std::string requests(uint64_t n) { return fmt::format("{} request{}", n, n == 1 ? "" : "s"); }
}  // namespace

void Detector::on_host(const HostSample& sample, double now_s) {
  if (sample.server_bytes_in != server_in_) {
    if (server_in_) io_moved(now_s);
    server_in_since_s_ = now_s;
  }
  if (sample.server_bytes_out != server_out_) {
    if (server_out_) io_moved(now_s);
    server_out_since_s_ = now_s;
  }
  server_in_ = sample.server_bytes_in;
  server_out_ = sample.server_bytes_out;
  host_.emplace_back(now_s, sample);
  const double keep_s =
      std::max(config_.starved_window_s, config_.deadlock_confirm_s) + kHostHistorySlackS;
  // One sample older than the window stays: it is where the window's deltas start.
  while (host_.size() > 1 && (host_[1].first <= now_s - keep_s || host_.size() > kMaxHostSamples)) {
    host_.pop_front();
  }
}

const std::pair<double, HostSample>* Detector::host_at(double t) const {
  if (host_.empty()) return nullptr;
  const std::pair<double, HostSample>* found = &host_.front();
  for (const auto& h : host_) {
    if (h.first > t) break;
    found = &h;
  }
  return found;
}

std::optional<std::string> Detector::host_starved(double since_s, double now_s) const {
  std::vector<std::string> evidence;
  bool cpu_starved = false;
  const auto* from = host_at(std::max(since_s, now_s - config_.starved_window_s));
  if (from && from != &host_.back() && from->second.qemu_cpu_s && host_.back().second.qemu_cpu_s) {
    const auto& to = host_.back();
    double wall = to.first - from->first;
    double cpu = std::max(0.0, *to.second.qemu_cpu_s - *from->second.qemu_cpu_s);
    std::optional<double> wait;
    if (from->second.qemu_wait_s && to.second.qemu_wait_s) {
      wait = std::max(0.0, *to.second.qemu_wait_s - *from->second.qemu_wait_s);
    }
    cpu_starved =
        wall > 0 && cpu < kStarvedCpuShare * wall && wait && *wait >= kStarvedWaitShare * wall;
    evidence.push_back(
        fmt::format("QEMU got {:.1f} s of CPU in the last {:.0f} s of wall time{}", cpu, wall,
                    wait ? fmt::format(" (its threads waited {:.1f} s for one)", *wait) : ""));
  }
  const bool clock_behind = samples_seen_ && clock_lag_s_ >= config_.clock_lag_s;
  if (samples_seen_) {
    evidence.push_back(clock_lag_s_ >= 0.05
                           ? fmt::format("guest clock {:.1f} s behind host", clock_lag_s_)
                           : "guest clock kept up with the host");
  }
  if (!cpu_starved && !clock_behind) return std::nullopt;
  return fmt::format("the host stopped running the guest: {}; no agent answer for {:.0f} s",
                     fmt::join(evidence, "; "), now_s - since_s);
}

void Detector::judge_silence(double now_s) {
  const double since = last_answer_s();
  if (auto starved = host_starved(since, now_s)) {
    infra_reason_ = *starved;
    done_ = true;
    return;
  }
  std::string title =
      now_s - last_heartbeat_s_ >= config_.heartbeat_lost_s
          ? fmt::format("agent heartbeat lost for {:.0f} s", now_s - last_heartbeat_s_)
          : fmt::format("agent samples lost for {:.0f} s while its heartbeats still came",
                        now_s - since);
  declare_hang(plain_finding("hang", title, "heartbeat"), since, now_s);
}

std::optional<reports::Finding> Detector::confirmed_deadlock(double now_s) const {
  const double confirm = config_.deadlock_confirm_s;
  if (confirm <= 0) return std::nullopt;
  const double mark = progress_mark();
  if (now_s - mark < confirm) return std::nullopt;
  // The device holds requests, and recent samples say the count has not changed.
  if (!inflight_ || *inflight_ == 0 || !samples_seen_) return std::nullopt;
  if (now_s - last_sample_s_ > confirm / 2 || now_s - inflight_since_s_ < confirm) {
    return std::nullopt;
  }
  // Every vCPU halted: their threads used almost no CPU over the window.
  const auto* from = host_at(now_s - confirm);
  if (!from || host_.empty()) return std::nullopt;
  const auto& to = host_.back();
  const double wall = to.first - from->first;
  if (from->first > now_s - confirm + 0.5 || to.first < now_s - confirm / 2 || wall <= 0) {
    return std::nullopt;
  }
  if (!from->second.vcpu_cpu_s || !to.second.vcpu_cpu_s || to.second.vcpus <= 0) {
    return std::nullopt;
  }
  double vcpu_cpu = std::max(0.0, *to.second.vcpu_cpu_s - *from->second.vcpu_cpu_s);
  if (vcpu_cpu > kHaltedVcpuShare * to.second.vcpus * wall) return std::nullopt;
  // Over a host server, 3 s of silence both ways cannot tell a deadlocked guest from a server
  // that is slow on a loaded host (a nightly run: tgtd answered nothing for 3 s while reading
  // back a file, then went on), unless the server spoke last: then it owes nothing, and the
  // guest is what stopped (virtio_net's refill deadlock: the server's answer sits in the ring).
  // When the guest spoke last, or both in the same sample, only an injected fault confirms at
  // once; otherwise the stall rule and the kernel's own hung-task reports decide, later.
  const bool server_spoke_last =
      server_in_ && server_out_ && server_out_since_s_ > server_in_since_s_;
  if ((server_in_ || server_out_) && !fault_active_ && !server_spoke_last) return std::nullopt;
  // The storage server: silent in at least one direction (no relay: the device count decides).
  const bool out_still = server_out_ && now_s - server_out_since_s_ >= confirm;
  const bool in_still = server_in_ && now_s - server_in_since_s_ >= confirm;
  if ((server_in_ || server_out_) && !out_still && !in_still) return std::nullopt;

  double still = now_s - std::max(mark, inflight_since_s_);
  reports::Finding f;
  if (out_still) {
    still = std::min(still, now_s - server_out_since_s_);
    f = plain_finding(
        "hang",
        fmt::format("storage server answered none of {} for {:.0f} s", requests(*inflight_), still),
        "storage");
  } else if (in_still) {
    still = std::min(still, now_s - server_in_since_s_);
    f = plain_finding("hang",
                      fmt::format("guest sent the storage server nothing for {:.0f} s with {} "
                                  "in flight, every vCPU halted",
                                  still, requests(*inflight_)),
                      "progress");
  } else {
    f = plain_finding("hang",
                      fmt::format("{} in flight unchanged for {:.0f} s, every vCPU halted",
                                  requests(*inflight_), still),
                      "progress");
  }
  return f;
}

}  // namespace wedge::detect
