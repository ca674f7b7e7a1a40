// What the guest does with its storage once a transport attached it ([storage] use): swap on
// the block device (or on a preallocated swap file for file transports), a filesystem made
// and mounted at /mnt/wedge, or the raw device handed to the workload.
//
//   WEDGE_TRY(storage::InUse in_use, storage::put_to_use(guest, attached, scenario.storage));
//   in_use.device;   // "/dev/nbd0", for a workload on use = "device"
#pragma once

#include <string>

#include "harness/config/scenario.h"
#include "harness/storage/guest_ops.h"
#include "harness/storage/transport.h"

namespace wedge::storage {

struct InUse {
  std::string device;       // the block device, when there is one
  std::string mount_point;  // where a filesystem is mounted (use = "fs", or a file transport)
  std::string swap;         // what swapon was given (a device or a swap file), if use = "swap"
};

// The tools and modules a use needs in the image (mkfs.ext4 for use = "fs", ...).
[[nodiscard]] ImageNeeds use_image_needs(const config::StorageConfig& storage, bool file_transport);

[[nodiscard]] Result<InUse> put_to_use(GuestOps& guest, const Attached& attached,
                                       const config::StorageConfig& storage);

}  // namespace wedge::storage
