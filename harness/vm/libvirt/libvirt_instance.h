// One running libvirt guest (libvirt_backend.h's Instance): the console from its log file, the
// agent over its socket (vm/agent_channel.h), state and reasons from libvirt (reconnecting when
// libvirtd restarts), keyboard and serial sysrq, the QEMU monitor, memory dumps, the balloon,
// release for post-mortem, and its network gate.
//
//   WEDGE_TRY(auto guest, start_instance(conn, uri, std::move(dom), spec, std::move(log), files));
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/vm/libvirt/domain_log.h"
#include "harness/vm/libvirt/libvirt_backend.h"
#include "harness/vm/libvirt/qemu_access.h"

namespace wedge::vm {

// The Instance of a domain just created from spec; connects its network gate (on failure the
// guest is destroyed and the error returned).
[[nodiscard]] Result<std::unique_ptr<LibvirtGuest>> start_instance(
    std::shared_ptr<ConnectHandle> conn, std::string uri, DomainHandle dom, VmSpec spec,
    DomainLog log, std::optional<QemuFiles> files);

}  // namespace wedge::vm
