// [storage] raid1 = true: two exports of the same transport (each with its own host server,
// so a fault can take one leg with `leg = 0|1`), mirrored in the guest by mdadm as /dev/md0.
//
//   auto t = storage::make_raid1(entry.make(scenario, 0), entry.make(scenario, 1));
#pragma once

#include <memory>

#include "harness/storage/transport.h"

namespace wedge::storage {

inline constexpr const char* kRaidDevice = "/dev/md0";

[[nodiscard]] std::unique_ptr<Transport> make_raid1(std::unique_ptr<Transport> leg0,
                                                    std::unique_ptr<Transport> leg1);

}  // namespace wedge::storage
