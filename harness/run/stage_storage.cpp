// Implementation of stage_storage.h.
#include "harness/run/stage_storage.h"

#include "harness/config/kinds.h"

namespace wedge::run {

namespace fs = std::filesystem;

Result<StorageOutput> start_storage(RunContext& ctx, storage::Transport& transport, RunLease& lease,
                                    storage::ServerGuests* server_guests) {
  const config::Scenario& scenario = ctx.scenario;
  ctx.enter("storage start");
  const char* kind = config::name_of(scenario.storage.transport);
  ctx.progress.step(
      fmt::format("starting the {} host side ({} MiB)", kind, scenario.storage.size_mib));
  storage::TransportContext context{&scenario, ctx.run_dir, ctx.timeouts, server_guests};
  WEDGE_CHECK(
      transport.start_host(context).context(fmt::format("starting the {} host side", kind)));
  StorageOutput out;
  out.server = transport.describe();
  if (!ctx.options.keep_export) {
    std::vector<std::string> exported;
    for (const fs::path& p : transport.exports()) {
      if (p.parent_path() == ctx.run_dir) exported.push_back(p.filename().string());
    }
    if (auto s = lease.add_files(exported); !s) ctx.note_host_event(s.error().message());
  }
  return out;
}

}  // namespace wedge::run
