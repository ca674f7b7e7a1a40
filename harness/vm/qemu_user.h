// The account wedge's guests' QEMU processes run as: the run folder, its sockets and the boot
// files must be reachable by it. A fact about how guests are run on this host, so code outside
// the libvirt backend (the run folder checks) may ask for it without including the backend.
#pragma once

namespace wedge::vm {

// Debian's libvirt runs system guests as this user by default.
inline constexpr const char* kQemuUserName = "libvirt-qemu";

}  // namespace wedge::vm
