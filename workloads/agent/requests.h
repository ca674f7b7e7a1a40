// Carries out the host's requests (kExec, kSignal, kSysrq, kWriteFile, kReadFile, kPing,
// kPoweroff, kScanTasks, kWatch) from validated frames; every field is bounds-checked before use.
// File requests go to the file worker thread, task scans to the scan thread (task_scan.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "workloads/agent/file_worker.h"
#include "workloads/agent/jobs.h"
#include "workloads/agent/sampler.h"

namespace wedge::guest {

class Requests {
 public:
  // sysrq_fd: the pre-opened trigger (or -1: requests then try to open sysrq_path);
  // may_power_off: only PID 1 powers off, serve mode on a host just stops serving;
  // sampler: where kWatch puts the files samples carry.
  Requests(JobTable& jobs, Sampler& sampler, int sysrq_fd, const char* sysrq_path,
           bool may_power_off)
      : jobs_(jobs),
        sampler_(sampler),
        sysrq_fd_(sysrq_fd),
        sysrq_path_(sysrq_path),
        may_power_off_(may_power_off) {}

  // Handles one frame that passed decode_header. Unknown types are ignored.
  void handle(uint16_t type, const uint8_t* payload, size_t len);

  // True once any valid frame arrived from the host (the agent stops repeating kHello).
  [[nodiscard]] bool host_seen() const { return host_seen_; }
  // The host went away (virtio port disconnected): repeat kHello until the next one speaks.
  void host_gone() { host_seen_ = false; }
  // True after kPoweroff in serve mode: the loop should stop.
  [[nodiscard]] bool stop_requested() const { return stop_; }

 private:
  void exec(const uint8_t* payload, size_t len);
  void signal(const uint8_t* payload, size_t len);
  void sysrq(const uint8_t* payload, size_t len);
  void write_file(const uint8_t* payload, size_t len);
  void read_file(const uint8_t* payload, size_t len);
  void file_request(FileRequest::Kind kind, const uint8_t* payload, size_t len, const char* name);
  void ping(const uint8_t* payload, size_t len);
  void scan_tasks(const uint8_t* payload, size_t len);
  void watch(const uint8_t* payload, size_t len);
  void poweroff();

  JobTable& jobs_;
  Sampler& sampler_;
  int sysrq_fd_;
  const char* sysrq_path_;
  bool may_power_off_;
  bool host_seen_ = false;
  bool stop_ = false;
};

}  // namespace wedge::guest
