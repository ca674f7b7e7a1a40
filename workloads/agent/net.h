// Guest networking without forking (no ip/ifconfig): ioctls bring up lo and eth0 with QEMU
// user-mode networking's fixed addresses and add the default route.
#pragma once

namespace wedge::guest {

// lo up; eth0 10.0.2.15/24 up (waiting up to wait_ms for it to appear); default via 10.0.2.2.
// Problems are logged; a guest without eth0 still serves on the virtio port.
void configure_network(int wait_ms);

}  // namespace wedge::guest
