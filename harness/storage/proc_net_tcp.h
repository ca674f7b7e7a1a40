// Whether a loopback TCP port is listening, read from /proc/net/tcp{,6} instead of by
// connecting: a probe connection would count as a client (nbd-server -d serves exactly one)
// and would wake a stopped server's backlog.
//
//   WEDGE_TRY(bool up, storage::loopback_port_listening(10809));
#pragma once

#include <string_view>

#include "harness/util/result.h"

namespace wedge::storage {

// Pure: true when proc_net_tcp (the text of /proc/net/tcp) holds a socket in LISTEN state
// bound to 127.0.0.1:port or 0.0.0.0:port, i.e. one that accepts connections to 127.0.0.1.
[[nodiscard]] bool tcp_listening(std::string_view proc_net_tcp, int port);

// Pure: the same for /proc/net/tcp6, where [::]:port (dual-stack) and [::ffff:127.0.0.1]:port
// accept IPv4 loopback connections.
[[nodiscard]] bool tcp6_listening(std::string_view proc_net_tcp6, int port);

// Reads /proc/net/tcp and /proc/net/tcp6 (the latter may be absent) of our network namespace.
[[nodiscard]] Result<bool> loopback_port_listening(int port);

}  // namespace wedge::storage
