// Stage 3 of a run: the storage's host side. Starts the transport's servers on the run's own
// ports (with their export files or folders) and records the exports in the run's lease, so
// that `wedge gc` removes them if this wedge is killed.
//
//   WEDGE_TRY(StorageOutput storage, start_storage(ctx, transport, lease));
#pragma once

#include <string>

#include "harness/run/run_context.h"
#include "harness/run/run_lease.h"
#include "harness/storage/transport.h"

namespace wedge::run {

struct StorageOutput {
  std::string server;  // the transport's description, for report.server.name
};

// Phase "storage start".
// server_guests boots the guests a kernel-served transport asks for (nullptr: none offered).
[[nodiscard]] Result<StorageOutput> start_storage(RunContext& ctx, storage::Transport& transport,
                                                  RunLease& lease,
                                                  storage::ServerGuests* server_guests);

}  // namespace wedge::run
