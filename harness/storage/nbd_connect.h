// The guest command that attaches an NBD export to /dev/nbdN: the agent's own nbd-connect
// mode (workloads/agent/nbd_connect.h), so the image needs no nbd-client and its 8 MB of
// shared libraries.
//
//   guest.run(storage::nbd_connect_argv("10.0.2.2", port, "/dev/nbd0"));
#pragma once

#include <string>
#include <vector>

namespace wedge::storage {

// The export name every wedge NBD server uses.
inline constexpr const char* kNbdExportName = "wedge";

[[nodiscard]] inline std::vector<std::string> nbd_connect_argv(const std::string& host, int port,
                                                               const std::string& device) {
  return {"/init", "nbd-connect", host, std::to_string(port), device, kNbdExportName};
}

}  // namespace wedge::storage
