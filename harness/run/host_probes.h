// The host-side facts HostWatch judges, read where they live: the storage server's and QEMU's
// process state in /proc, the run directory's free space, the guest-fed logs' write errors,
// and whether a scheduled fault is what keeps the server down.
//
//   snapshot.server_problem = run::server_problem("nbd-server 3.24", server.pid(),
//                                                 report.faults, now);
//   snapshot.disk_problem = run::disk_problem(run_dir, session.log_errno(), session.log_status());
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "reports/report.h"

namespace wedge::run {

// Below this much free space the run directory counts as full.
inline constexpr uint64_t kMinFreeBytes = 1 << 20;

// Whether an injected fault (server-stall, -crash, -restart) explains a server that is stopped
// or gone at run time now_s: active, permanent (crash), or ended moments ago (restarting).
[[nodiscard]] bool server_fault_in_effect(const std::vector<reports::FaultRecord>& faults,
                                          double now_s);

// Why the storage server (name, process pid; -1: none) is not serving, when no fault explains
// it: gone, a zombie, or stopped (SIGSTOP from outside). nullopt when it runs.
[[nodiscard]] std::optional<std::string> server_problem(
    const std::string& name, pid_t pid, const std::vector<reports::FaultRecord>& faults,
    double now_s);

// Why the run directory cannot take more: a log write failed with ENOSPC/EDQUOT, or its
// filesystem has less than kMinFreeBytes free. nullopt when it is fine.
[[nodiscard]] std::optional<std::string> disk_problem(const std::filesystem::path& run_dir,
                                                      int log_errno, const Status& log_status);

// /proc state of pid ('R', 'S', 'D', 'T', ...), 0 when unknown or gone.
[[nodiscard]] char process_state_or_zero(pid_t pid);

// This process's peak resident set size in KiB.
[[nodiscard]] uint64_t peak_rss_kib();

}  // namespace wedge::run
