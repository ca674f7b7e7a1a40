// The channel to the host: the virtio-serial port named kPortName (as /init) or a unix stream
// socket (serve --connect, so tests can run the agent on the host).
#pragma once

namespace wedge::guest {

// Scans /sys/class/virtio-ports/*/name for kPortName and opens /dev/<port> non-blocking.
// Retries until timeout_ms passes; returns the fd or -1.
int open_virtio_port(int timeout_ms);

// Connects to a unix stream socket; returns a non-blocking fd, or -1 with errno.
int connect_unix(const char* path);

}  // namespace wedge::guest
