// The registry of transports, keyed by config::TransportKind: one line per transport in
// transport_registry.cpp. Also the load-time checks every scenario goes through (a fault the
// transport cannot take, a use it does not offer, raid1 where it cannot mirror), with
// file:line errors.
//
//   WEDGE_CHECK(storage::check_storage(scenario));          // after config::load_scenario
//   std::unique_ptr<storage::Transport> t = storage::make_transport(scenario);
#pragma once

#include <memory>

#include "harness/storage/transport.h"

namespace wedge::storage {

[[nodiscard]] const TransportEntry& transport_entry(config::TransportKind kind);

// The server that runs: [storage] server as given, else the transport's first (its default);
// "" for a transport without a host server.
[[nodiscard]] std::string server_name(const config::StorageConfig& storage);

// The scenario's transport; with raid1 = true, a mirror over two of them.
[[nodiscard]] std::unique_ptr<Transport> make_transport(const config::Scenario& scenario);

// Rejects storage settings and faults the scenario's transport cannot do.
[[nodiscard]] Status check_storage(const config::Scenario& scenario);

}  // namespace wedge::storage
