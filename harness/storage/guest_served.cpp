// Implementation of guest_served.h.
#include "harness/storage/guest_served.h"

#include "harness/storage/proc_net_tcp.h"
#include "harness/storage/served_transport.h"
#include "harness/util/files.h"

namespace wedge::storage {

std::string server_role(int export_index) {
  return export_index == 0 ? "server" : fmt::format("server-leg{}", export_index);
}

Result<std::unique_ptr<GuestServer>> start_guest_served(
    const TransportContext& context, const GuestServedOptions& o,
    std::filesystem::path* export_file, const std::function<Status(GuestOps&)>& configure) {
  if (context.server_guests == nullptr) {
    return make_error("{} needs a server guest, and this run cannot boot one", o.what);
  }
  const std::filesystem::path dir = served_work_dir(context.run_dir, o.export_index);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error("creating {}: {}", dir.string(), ec.message());
  *export_file = dir / "export.img";
  WEDGE_CHECK(create_sparse_file(*export_file, static_cast<uint64_t>(o.size_mib) << 20));
  const std::string role = server_role(o.export_index);
  WEDGE_TRY(
      auto guest,
      context.server_guests->boot(
          {.memory_mib = o.memory_mib, .disks = {*export_file}, .ports = {o.port}, .role = role}));
  GuestOps& ops = guest->ops();
  WEDGE_CHECK(configure(ops).context(fmt::format("setting up {} in the {} guest", o.what, role)));
  WEDGE_CHECK(wait_in_guest(
      ops,
      [&]() -> Result<bool> {
        WEDGE_TRY(std::string tcp, ops.read_file("/proc/net/tcp", 1 << 20));
        return tcp_listening(tcp, o.port);
      },
      ops.command_timeout(), fmt::format("{} listening in the {} guest", o.what, role)));
  const std::string description = fmt::format("{} in {}", o.what, guest->describe());
  return GuestServer::start(std::move(guest), o.port, description);
}

}  // namespace wedge::storage
