// Implementation of host_probes.h.
#include "harness/run/host_probes.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "harness/util/owner.h"

namespace wedge::run {

namespace {

// After a fault that stopped or killed the server ends, it takes a moment to serve again.
constexpr double kRecoverS = 5;

bool is_server_fault(const std::string& kind) {
  return kind == "server-stall" || kind == "server-crash" || kind == "server-restart";
}

}  // namespace

bool server_fault_in_effect(const std::vector<reports::FaultRecord>& faults, double now_s) {
  for (const auto& f : faults) {
    if (!is_server_fault(f.kind) || f.start_s > now_s) continue;
    if (f.kind == "server-crash" || !f.stop_s || now_s - *f.stop_s < kRecoverS) return true;
  }
  return false;
}

char process_state_or_zero(pid_t pid) {
  if (pid <= 0) return 0;
  auto state = process_state(pid);
  return state ? *state : 0;
}

std::optional<std::string> server_problem(const std::string& name, pid_t pid,
                                          const std::vector<reports::FaultRecord>& faults,
                                          double now_s) {
  if (server_fault_in_effect(faults, now_s)) return std::nullopt;
  char state = process_state_or_zero(pid);
  if (state == 'T' || state == 't') {
    return fmt::format(
        "the storage server {} (pid {}) was stopped from outside (SIGSTOP?) while "
        "no fault was scheduled",
        name, pid);
  }
  if (state == 0 || state == 'Z' || state == 'X') {
    return fmt::format("the storage server {} {} while no fault was scheduled", name,
                       pid > 0 ? fmt::format("(pid {}) exited or was killed", pid)
                               : std::string("is not running"));
  }
  return std::nullopt;
}

std::optional<std::string> disk_problem(const std::filesystem::path& run_dir, int log_errno,
                                        const Status& log_status) {
  if ((log_errno == ENOSPC || log_errno == EDQUOT) && !log_status) {
    return log_status.error().message();
  }
  struct statvfs fs {};
  if (::statvfs(run_dir.c_str(), &fs) == 0) {
    uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (free_bytes < kMinFreeBytes) {
      return fmt::format("the filesystem of {} is full ({} KiB free)", run_dir.string(),
                         free_bytes / 1024);
    }
  }
  return std::nullopt;
}

uint64_t peak_rss_kib() {
  struct rusage usage {};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<uint64_t>(usage.ru_maxrss);
}

}  // namespace wedge::run
