// Where a run's unix sockets go. A socket path holds at most 107 bytes, and a run folder deep
// in a matrix or compare output root can be longer than that. agent_socket_path returns
// RUN_DIR/agent.sock when every socket named after it fits, and otherwise the same socket
// reached through a short link: a TempDir (reaped like every wedge temp dir) holding "run", a
// symlink to the run folder. The sockets still live in the run folder.
//
//   std::optional<TempDir> link;   // keep it until the guest is gone
//   WEDGE_TRY(spec.agent_socket, run::agent_socket_path(run_dir, link));
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge::run {

// The longest unix socket path (sun_path less its terminating NUL).
inline constexpr size_t kMaxSocketPath = 107;
// The longest name a run gives a socket beside agent.sock ("agent.gate-out.sock", with room).
inline constexpr size_t kLongestSocketName = 24;

// link receives the TempDir when one was needed.
[[nodiscard]] Result<std::filesystem::path> agent_socket_path(const std::filesystem::path& run_dir,
                                                              std::optional<TempDir>& link);

}  // namespace wedge::run
