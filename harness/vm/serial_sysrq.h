// Magic sysrq over a serial line: QEMU's telnet chardev turns the telnet BREAK command into a
// UART break, and Linux's 8250 driver reads a key that follows a break within 5 s as sysrq.
// This works from the host even while the guest livelocks (the UART interrupt still runs).
//
//   WEDGE_CHECK(send_telnet_break_sysrq(console_port, 'w'));
#pragma once

#include <chrono>

#include "harness/util/result.h"

namespace wedge::vm {

inline constexpr unsigned char kTelnetIac = 255;
inline constexpr unsigned char kTelnetBreak = 243;

// Connects to the telnet chardev on 127.0.0.1:port, waits for its option negotiation (which
// QEMU sends on accept and which is ignored here), sends IAC BREAK, then key, and disconnects
// cleanly. Fails when key is not a letter or digit, when nothing listens, or when the server
// does not greet within greeting_timeout (QEMU serves one client at a time: someone else is
// connected to the console).
[[nodiscard]] Status send_telnet_break_sysrq(
    int port, char key,
    std::chrono::milliseconds greeting_timeout = std::chrono::milliseconds(2000));

}  // namespace wedge::vm
