// Loopback TCP helpers shared by the vm and storage layers: a free port on 127.0.0.1 and a
// connect with a deadline.
//
//   WEDGE_TRY(int port, pick_free_loopback_port());
//   WEDGE_TRY(UniqueFd fd, connect_loopback(port, std::chrono::seconds(2)));
#pragma once

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge {

// A port that was free on 127.0.0.1 a moment ago (the kernel's choice for an ephemeral bind).
// Another process may take it before the intended server binds: callers retry on a bind
// failure.
[[nodiscard]] Result<int> pick_free_loopback_port();

// A non-blocking, close-on-exec TCP socket connected to 127.0.0.1:port, or an error after
// timeout ("connect 127.0.0.1:4000: Connection refused").
[[nodiscard]] Result<UniqueFd> connect_loopback(int port, std::chrono::milliseconds timeout);

}  // namespace wedge
