// The one shape of a transport served by a kernel in a server guest (nvme-tcp, nfs with
// server = "knfsd"): a sparse export file in the run folder becomes the server guest's
// /dev/vda, the guest boots (server_guest.h), the transport's `configure` sets its target up
// through the guest's agent, the target's port listens, and wedge's relay sits in front of the
// forwarded port (guest_server.h). A RAID1 leg gets its own server guest ("server-leg1").
//
//   WEDGE_TRY(server_, start_guest_served(context, {.export_index = 0, .size_mib = 1024,
//                                                   .memory_mib = 256, .port = 4420,
//                                                   .what = "nvmet-tcp"},
//                                         [&](GuestOps& g) { return configure_nvmet(g); }));
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "harness/storage/guest_server.h"
#include "harness/storage/transport.h"

namespace wedge::storage {

struct GuestServedOptions {
  int export_index = 0;  // 0, or 1 for the second RAID1 leg
  int size_mib = 1024;   // the export file, the server guest's /dev/vda
  int memory_mib = 256;  // the server guest's RAM
  int port = 0;          // the target's TCP port in the server guest
  std::string what;      // "nvmet-tcp", "knfsd": for messages and the description
};

// The server guest's role (its folder in the run directory): "server", "server-leg1".
[[nodiscard]] std::string server_role(int export_index);

// Boots, configures and relays; *export_file is set before anything can fail (so a failed
// start still has its data removed).
[[nodiscard]] Result<std::unique_ptr<GuestServer>> start_guest_served(
    const TransportContext& context, const GuestServedOptions& options,
    std::filesystem::path* export_file, const std::function<Status(GuestOps&)>& configure);

}  // namespace wedge::storage
