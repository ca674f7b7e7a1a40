// The agent's own diagnostics: each line goes to /dev/kmsg (as init) or stderr (serve mode)
// right away, and is queued as a kLog frame for the host, which sees it once connected.
#pragma once

#include "workloads/agent/outq.h"

namespace wedge::guest {

// Sends later diagnostics to /dev/kmsg (fd stays owned by the log) instead of stderr.
void log_to_kmsg(int fd);

// Logs an important line (a kLog frame of reply priority): agent_log("mount %s: %s", ...).
[[gnu::format(printf, 1, 2)]] void agent_log(const char* format, ...);

// Logs a periodic, droppable line (e.g. drop counters), of periodic priority.
[[gnu::format(printf, 1, 2)]] void agent_log_periodic(const char* format, ...);

}  // namespace wedge::guest
