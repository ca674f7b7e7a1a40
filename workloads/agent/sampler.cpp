// Implementation of sampler.h: pread of pre-opened /proc files into static buffers.
#include "workloads/agent/sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/util.h"

#ifndef WEDGE_VERSION
#define WEDGE_VERSION "unknown"
#endif

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
int open_proc(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) agent_log("open %s: %s (left out of samples)", path, errno_text(errno));
  return fd;
}

// Adds a file's current text as a field; a file that cannot be read is left out.
void put_file(ap::FieldWriter& w, uint16_t tag, int fd, char* buf, size_t cap) {
  if (fd < 0) return;
  ssize_t n = pread_whole(fd, buf, cap);
  if (n >= 0) w.put_bytes(tag, buf, static_cast<size_t>(n));
}
}  // namespace

void Sampler::open_files() {
  meminfo_fd_ = open_proc("/proc/meminfo");
  vmstat_fd_ = open_proc("/proc/vmstat");
  psi_memory_fd_ = open_proc("/proc/pressure/memory");
  psi_io_fd_ = open_proc("/proc/pressure/io");
  status_fd_ = open_proc("/proc/self/status");
  modules_fd_ = open_proc("/proc/modules");
}

void Sampler::send_hello() {
  utsname uts{};
  uname(&uts);
  uint64_t rss_kb = 0, locked_kb = 0;
  if (status_fd_ >= 0) {
    ssize_t n = pread_whole(status_fd_, status_, sizeof status_);
    if (n > 0) {
      rss_kb = number_after_key(status_, static_cast<size_t>(n), "VmRSS:");
      locked_kb = number_after_key(status_, static_cast<size_t>(n), "VmLck:");
    }
  }
  ap::FieldWriter w(payload_, sizeof payload_);
  w.put_str(ap::field::kKernelRelease, uts.release);
  w.put_str(ap::field::kAgentVersion, WEDGE_VERSION);
  w.put_u64(ap::field::kUptimeMs, boottime_ms());
  w.put_u64(ap::field::kRssKb, rss_kb);
  w.put_u64(ap::field::kMemlockedKb, locked_kb);
  outq().push(ap::MsgType::kHello, w.data(), w.size(), Priority::kPeriodic);
}

void Sampler::send_heartbeat() {
  ap::FieldWriter w(payload_, sizeof payload_);
  w.put_u64(ap::field::kSeq, heartbeat_seq_++);
  w.put_u64(ap::field::kUptimeMs, boottime_ms());
  outq().push(ap::MsgType::kHeartbeat, w.data(), w.size(), Priority::kPeriodic);
}

void Sampler::send_sample() {
  // Skip the reads entirely when the sample would be dropped anyway.
  if (!outq().has_room_for(sizeof payload_, Priority::kBulk)) {
    outq().note_drop(Priority::kBulk);
    return;
  }
  ap::FieldWriter w(payload_, sizeof payload_);
  w.put_u64(ap::field::kUptimeMs, boottime_ms());
  put_file(w, ap::field::kMeminfo, meminfo_fd_, meminfo_, sizeof meminfo_);
  put_file(w, ap::field::kVmstat, vmstat_fd_, vmstat_, sizeof vmstat_);
  put_file(w, ap::field::kPsiMemory, psi_memory_fd_, psi_memory_, sizeof psi_memory_);
  put_file(w, ap::field::kPsiIo, psi_io_fd_, psi_io_, sizeof psi_io_);
  put_file(w, ap::field::kModules, modules_fd_, modules_, sizeof modules_);
  for (size_t i = 0; i < ap::kMaxWatched; ++i) {
    if (watch_fds_[i] < 0) continue;
    size_t path_len = strlen(watch_paths_[i]);
    memcpy(watched_, watch_paths_[i], path_len + 1);
    ssize_t n = pread_whole(watch_fds_[i], watched_ + path_len + 1, ap::kMaxWatchedText);
    if (n >= 0) {
      w.put_bytes(static_cast<uint16_t>(ap::field::kWatched0 + i), watched_,
                  path_len + 1 + static_cast<size_t>(n));
    }
  }
  outq().push(ap::MsgType::kSample, w.data(), w.size(), Priority::kBulk);
}

int Sampler::watch(const char (*paths)[ap::kMaxWatchedPath], size_t count, size_t* failed) {
  int first_error = 0;
  for (size_t i = 0; i < ap::kMaxWatched; ++i) {
    if (watch_fds_[i] >= 0) close(watch_fds_[i]);
    watch_fds_[i] = -1;
    watch_paths_[i][0] = '\0';
    if (i >= count) continue;
    // Sysfs and cgroup files: opening them does no I/O, so the main loop may do it.
    watch_fds_[i] = open(paths[i], O_RDONLY | O_CLOEXEC);
    if (watch_fds_[i] < 0) {
      if (first_error == 0) {
        first_error = errno;
        *failed = i;
      }
      continue;
    }
    size_t len = strnlen(paths[i], ap::kMaxWatchedPath - 1);
    memcpy(watch_paths_[i], paths[i], len);
    watch_paths_[i][len] = '\0';
  }
  return first_error;
}

}  // namespace wedge::guest
