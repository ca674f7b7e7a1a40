// Helpers every userspace storage server needs: waiting until the
// server listens on it (or failing with its log when it died), and the tail of that log.
//
//   WEDGE_CHECK(storage::wait_until_listening(port, child, log, 10s));
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "harness/util/process.h"
#include "harness/util/result.h"

namespace wedge::storage {

// The last `lines` lines of a log file ("" when it is missing or empty).
[[nodiscard]] std::string log_tail(const std::filesystem::path& log, size_t lines = 10);

// Waits until /proc/net/tcp shows 127.0.0.1:port (or 0.0.0.0:port) listening. Fails as soon
// as child exits (with its exit status and the tail of log), or after timeout.
[[nodiscard]] Status wait_until_listening(int port, ChildProcess& child,
                                          const std::filesystem::path& log,
                                          std::chrono::milliseconds timeout);

}  // namespace wedge::storage
