// Memory telemetry for the host: /proc/meminfo, /proc/vmstat, /proc/pressure/{memory,io}, the
// agent's own /proc/self/status and /proc/modules (so the host sees modules come and go), and
// the few files the host asked to watch (kWatch: cgroup and block-device counters), each
// opened once and re-read with pread, turned into kHello, kHeartbeat and kSample frames.
#pragma once

#include <cstddef>
#include <cstdint>

#include "harness/agent_protocol/protocol.h"

namespace wedge::guest {

class Sampler {
 public:
  // Opens the /proc files (once, at start-up); missing ones are logged and left out of samples.
  void open_files();
  // kHello: kernel release, agent version, uptime, the agent's own VmRSS and VmLck.
  void send_hello();
  // kHeartbeat: a counter and the uptime (periodic priority).
  void send_heartbeat();
  // kSample: uptime and the raw text of every open file but the agent's status (bulk
  // priority: dropped first).
  void send_sample();
  // Replaces the watched files with paths[0..count) (count <= kMaxWatched, each a
  // NUL-terminated absolute path shorter than kMaxWatchedPath), each opened once now. A path
  // that does not open is left out; returns 0, or the errno of the first that failed (its
  // index in *failed).
  int watch(const char (*paths)[agent_protocol::kMaxWatchedPath], size_t count, size_t* failed);

 private:
  static constexpr size_t kMeminfoCap = 8 * 1024;
  static constexpr size_t kVmstatCap = 16 * 1024;
  static constexpr size_t kPsiCap = 1024;
  static constexpr size_t kStatusCap = 4 * 1024;
  static constexpr size_t kModulesCap = 8 * 1024;  // ~70 bytes a module

  int meminfo_fd_ = -1;
  int vmstat_fd_ = -1;
  int psi_memory_fd_ = -1;
  int psi_io_fd_ = -1;
  int status_fd_ = -1;
  int modules_fd_ = -1;
  uint64_t heartbeat_seq_ = 0;
  char meminfo_[kMeminfoCap] = {};
  char vmstat_[kVmstatCap] = {};
  char psi_memory_[kPsiCap] = {};
  char psi_io_[kPsiCap] = {};
  char status_[kStatusCap] = {};
  char modules_[kModulesCap] = {};
  static constexpr size_t kWatchedField =
      agent_protocol::kMaxWatchedPath + agent_protocol::kMaxWatchedText;
  int watch_fds_[agent_protocol::kMaxWatched] = {-1, -1, -1, -1, -1, -1, -1, -1};
  char watch_paths_[agent_protocol::kMaxWatched][agent_protocol::kMaxWatchedPath] = {};
  char watched_[kWatchedField] = {};  // one watched file's field: path, NUL, text
  uint8_t payload_[kMeminfoCap + kVmstatCap + 2 * kPsiCap + kModulesCap +
                   agent_protocol::kMaxWatched * (kWatchedField + 6) + 256] = {};
};

}  // namespace wedge::guest
