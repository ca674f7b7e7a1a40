// Load-time checks that several transports share (their entries' validate), each error naming
// the scenario file and line.
//
//   WEDGE_CHECK(no_server_binary(s, "transport = \"nbd-loopback\" runs nbd-server inside the
//   guest")); WEDGE_CHECK(no_kill_or_restart(s, "the nvme-tcp server"));
#pragma once

#include <string_view>

#include "harness/config/scenario.h"
#include "harness/util/result.h"

namespace wedge::storage {

// [storage] server_binary must be unset where no host program serves: `what_serves` says what
// does ("transport = \"nfs-loopback\" runs the guest's own kernel NFS server (knfsd)").
[[nodiscard]] Status no_server_binary(const config::Scenario& s, std::string_view what_serves);

// server-crash and server-restart are refused where the server is a kernel in a server guest
// (server-stall pauses it): `server` names it ("the nvme-tcp server", "knfsd").
[[nodiscard]] Status no_kill_or_restart(const config::Scenario& s, std::string_view server);

}  // namespace wedge::storage
