// The agent's `io-flusher` mode: a static wrapper that puts itself in the PR_SET_IO_FLUSHER
// state (which survives execve), mlockall()s, and execs the program it was given; the
// mitigation the kernel offers a userspace storage daemon (nbd-loopback with
// server_io_flusher = true). mlockall does not survive execve: the daemon itself pages as usual.
//
//   /init io-flusher /usr/sbin/nbd-server -C /tmp/nbd-server.conf -d
#pragma once

namespace wedge::guest {

// argv[0] is the program to exec (an absolute path); returns only on failure (exit code).
int io_flusher_exec_main(int argc, char** argv);

}  // namespace wedge::guest
