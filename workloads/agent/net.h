// Guest networking without forking (no ip/ifconfig): ioctls bring up lo and the guest's one
// network card (whatever its driver: virtio_net, e1000, vmxnet3, ...) with QEMU user-mode
// networking's fixed addresses and add the default route.
#pragma once

namespace wedge::guest {

// lo up; the first interface that is not a loopback (eth0 for every driver wedge loads: there is
// no udev to rename it) 10.0.2.15/24 up, waiting up to wait_ms for it to appear and then up to
// 6 s for its carrier (virtio-net has it at once, e1000 once its watchdog saw the link, ~2 s);
// default route via 10.0.2.2. Problems are logged; a guest without a network card still
// serves on the virtio port.
void configure_network(int wait_ms);

}  // namespace wedge::guest
