// The host-side facts HostWatch judges, read where they live: the storage server's and QEMU's
// process state in /proc, the run directory's free space, the guest-fed logs' write errors,
// and whether a scheduled fault is what keeps the server down.
//
//   if (!run::server_fault_in_effect(report.faults, now))
//     if (auto stopped = run::stopped_child_process()) ...   // "nbd-server (pid 4242)"
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

// A process this wedge started (directly or not: its WEDGE_OWNER is us) that is stopped
// (SIGSTOP, state T), as "nbd-server (pid 4242)"; nullopt when none is. Outside a server-stall
// fault that is someone else's doing.
[[nodiscard]] std::optional<std::string> stopped_child_process(
    const std::filesystem::path& proc = "/proc");

// Why the run directory cannot take more: a log write failed with ENOSPC/EDQUOT, or its
// filesystem has less than kMinFreeBytes free. nullopt when it is fine.
[[nodiscard]] std::optional<std::string> disk_problem(const std::filesystem::path& run_dir,
                                                      int log_errno, const Status& log_status);

// /proc state of pid ('R', 'S', 'D', 'T', ...), 0 when unknown or gone.
[[nodiscard]] char process_state_or_zero(pid_t pid);

// This process's peak resident set size in KiB.
[[nodiscard]] uint64_t peak_rss_kib();

}  // namespace wedge::run
