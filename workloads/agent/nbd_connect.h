// The agent's `nbd-connect` mode: attaches /dev/nbdN to an NBD export without nbd-client (whose
// shared libraries, gnutls and friends, cost 8 MB of pinned guest RAM). It does the fixed
// newstyle handshake (NBD_OPT_GO, falling back to NBD_OPT_EXPORT_NAME), hands the socket to the
// kernel with the NBD ioctls, and leaves a small mlocked child sleeping in NBD_DO_IT for the
// life of the connection; the parent exits once the device has its size.
//
//   /init nbd-connect 10.0.2.2 10809 /dev/nbd0 wedge
#pragma once

#include <cstddef>
#include <cstdint>

namespace wedge::guest {

// What the server said about the export during the handshake.
struct NbdExport {
  uint64_t size = 0;
  uint16_t transmission_flags = 0;
};

// Runs the client side of the fixed newstyle handshake on a connected socket. On failure
// returns false with a reason in error (NUL-terminated, at most error_cap bytes).
bool nbd_handshake(int fd, const char* export_name, NbdExport* out, char* error, size_t error_cap);

// argv: HOST PORT DEVICE EXPORT. Returns the process exit code.
int nbd_connect_main(int argc, char** argv);

}  // namespace wedge::guest
