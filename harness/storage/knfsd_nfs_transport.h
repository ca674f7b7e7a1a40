// The nfs transport served by the kernel's knfsd in a server guest (server = "knfsd"): made by
// the nfs transport's entry when the scenario names that server.
#pragma once

#include <memory>

#include "harness/storage/transport.h"

namespace wedge::storage {

[[nodiscard]] std::unique_ptr<Transport> make_knfsd_nfs_transport(const config::Scenario& scenario);

}  // namespace wedge::storage
