// Finds the pid of the libvirt daemon a qemu:///system connection talks to (the monolithic
// libvirtd, or the modular virtqemud), from its pid file, checked against the process's name.
// Other URIs (a session daemon, a private socket, a remote host) answer 0: wedge cannot tell
// which process serves them.
//
//   int pid = libvirt_daemon_pid("qemu:///system");   // 0: not found
#pragma once

#include <filesystem>
#include <string_view>

namespace wedge::vm {

// run: the host's /run; proc: its /proc (fake trees in tests).
[[nodiscard]] int libvirt_daemon_pid(std::string_view uri,
                                     const std::filesystem::path& run = "/run",
                                     const std::filesystem::path& proc = "/proc");

}  // namespace wedge::vm
