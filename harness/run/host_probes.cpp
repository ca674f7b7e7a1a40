// Implementation of host_probes.h.
#include "harness/run/host_probes.h"

#include <sys/resource.h>
#include <sys/statvfs.h>

#include <cerrno>

#include "harness/util/files.h"
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

std::optional<std::string> stopped_child_process(const std::filesystem::path& proc) {
  const std::string mine = std::string(kOwnerEnv) + "=" + self_owner().to_string();
  std::error_code ec;
  for (std::filesystem::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = read_file(it->path() / "stat");
    if (!stat) continue;
    auto parsed = parse_proc_stat(*stat);
    if (!parsed || (parsed->state != 'T' && parsed->state != 't')) continue;
    auto env = read_file(it->path() / "environ");
    if (!env || env->find(mine + '\0') == std::string::npos) continue;
    size_t open = stat->find('('), close = stat->rfind(')');
    std::string comm = open < close ? stat->substr(open + 1, close - open - 1) : "?";
    return fmt::format("{} (pid {})", comm, name);
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
