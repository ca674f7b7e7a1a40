// Memory telemetry for the host: /proc/meminfo, /proc/vmstat, /proc/pressure/{memory,io}, the
// agent's own /proc/self/status and /proc/modules (so the host sees modules come and go), each
// opened once and re-read with pread, turned into kHello, kHeartbeat and kSample frames.
#pragma once

#include <cstddef>
#include <cstdint>

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
  uint8_t payload_[kMeminfoCap + kVmstatCap + 2 * kPsiCap + kModulesCap + 256] = {};
};

}  // namespace wedge::guest
