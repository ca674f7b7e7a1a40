// Makes a driver present in the guest, through GuestOps: reads what the guest shows about its
// kernel's modules (/proc/modules, modules.builtin and modules.dep of its module tree, then
// /sys/module and the driver's signs), decides with decide_driver (driver.h), and runs modprobe
// with the driver's parameters only for a module not loaded yet. Transports ask for drivers
// here; none calls modprobe itself.
//
//   WEDGE_CHECK(storage::ensure_driver(guest, {"nbd", {"nbds_max=4"}}));
//   WEDGE_CHECK(storage::ensure_drivers(guest, {kIscsiTcp, kSdMod}));
#pragma once

#include <vector>

#include "harness/storage/driver.h"
#include "harness/storage/guest_ops.h"
#include "harness/util/result.h"

namespace wedge::storage {

// What the guest shows about driver: the module tables, and the places to look for it
// (places_to_look) only when the tables do not decide.
[[nodiscard]] Result<GuestModuleFacts> read_module_facts(GuestOps& guest, const Driver& driver);

// Loads driver unless it is loaded or built in; an error names what was looked at.
[[nodiscard]] Status ensure_driver(GuestOps& guest, const Driver& driver);

// ensure_driver for each, in order.
[[nodiscard]] Status ensure_drivers(GuestOps& guest, const std::vector<Driver>& drivers);

}  // namespace wedge::storage
