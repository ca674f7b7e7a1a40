// The agent as /init (PID 1): mount the pseudo filesystems, name the host, give the console
// full log level, load modules, configure the network, then serve on the virtio port forever.
#pragma once

namespace wedge::guest {

// Never returns: PID 1 exiting panics the kernel, so fatal errors end in a logging,
// child-reaping sleep loop instead.
[[noreturn]] void run_as_init();

}  // namespace wedge::guest
