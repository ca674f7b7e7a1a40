// Small wrappers over libvirt calls that the backend and its guests share: the connection
// with keepalive, libvirt's last error as an Error, versions, QEMU's pid, stale files. Only for
// the files of this folder (it includes libvirt).
#pragma once

#include <libvirt/libvirt.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/util/result.h"

namespace wedge::vm {

// Opens uri with keepalive on; nullptr on failure (the libvirt error is set).
[[nodiscard]] virConnectPtr open_connection(const std::string& uri);
// The last libvirt error of this thread, prefixed with what was being done.
[[nodiscard]] Error libvirt_error(std::string_view what);
// True when the last libvirt error says the domain does not exist (any more).
[[nodiscard]] bool last_error_is_gone();
// The pid of the QEMU process whose command line names the guest (0 if none is found).
[[nodiscard]] int find_qemu_pid(const std::string& name);
// "7.2.0" (QEMU, as the daemon reports it) and "9.0.0" (the daemon's libvirt), or "unknown".
[[nodiscard]] std::string hypervisor_version(virConnectPtr conn);
[[nodiscard]] std::string daemon_libvirt_version(virConnectPtr conn);
// Removes path if it is there.
[[nodiscard]] Status remove_stale(const std::filesystem::path& path);
// Creates path's parent folders.
[[nodiscard]] Status ensure_parent(const std::filesystem::path& path);

}  // namespace wedge::vm
