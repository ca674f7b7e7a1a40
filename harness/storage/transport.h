// The Transport seam: everything one way of putting the guest's storage on the network does,
// behind one interface, found in a registry keyed by config::TransportKind
// (transport_registry.h). A transport says what the guest image needs, adjusts the VmSpec,
// starts its host side (a supervised server behind wedge's relay, or nothing), attaches in the
// guest through GuestOps (returning the block device or the mount point), and says which
// faults it can take. The runner only loops over this interface.
//
//   std::unique_ptr<storage::Transport> t = storage::make_transport(scenario);
//   image_request += t->image_needs();
//   WEDGE_CHECK(t->start_host(context));
//   t->adjust_vm(spec);
//   WEDGE_TRY(storage::Attached where, t->attach(guest_ops));   // "/dev/nbd0" or "/mnt/wedge"
//   for (storage::Server* s : t->servers()) ...;              // for faults and byte counts
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "harness/config/scenario.h"
#include "harness/storage/driver.h"
#include "harness/storage/guest_ops.h"
#include "harness/storage/server.h"
#include "harness/storage/server_guest.h"
#include "harness/util/result.h"
#include "harness/util/timeouts.h"
#include "harness/vm/vm.h"

namespace wedge::storage {

// What the guest image must hold for a transport (or a storage use) to work.
struct ImageNeeds {
  std::vector<std::string> tools;  // host executables copied with their shared libraries
  // Kernel drivers, with their parameters: their modules go in the image (none for a built-in
  // driver), their parameters on the kernel command line, and attach() asks for them with
  // ensure_driver (guest_driver.h).
  std::vector<Driver> drivers;
  // Small files written into the image: guest path and content ("/etc/passwd", ...).
  std::vector<std::pair<std::string, std::string>> files;
  // Debian packages whose programs go in with their libraries (vm-images/packages.h).
  std::vector<std::string> packages = {};
  // Tools among `tools` that get wedge's stand-ins for libraries they link but never call in
  // the guest (vm-images/stand_ins.h), where those serve every symbol they need.
  std::vector<std::string> lean_tools = {};

  void add(const ImageNeeds& other);
};

// What a transport gets to start its host side.
struct TransportContext {
  const config::Scenario* scenario = nullptr;
  std::filesystem::path run_dir;
  Timeouts timeouts;
  // Boots server guests for transports served by a kernel; nullptr where the run offers none.
  ServerGuests* server_guests = nullptr;
};

// Where the storage is in the guest after attach().
struct Attached {
  std::string device;       // a block device ("/dev/nbd0"); empty for file transports
  std::string mount_point;  // file transports: where the export is mounted
  // File transports with use = "swap": a fully allocated swap file the host side made under
  // mount_point (writing one from the guest is slow); empty: the guest writes it.
  std::string swap_file = {};
};

class Transport {
 public:
  virtual ~Transport() = default;  // stops the host side
  [[nodiscard]] virtual ImageNeeds image_needs() const = 0;
  // Programs the host side runs (servers, their control tools), for `wedge doctor`.
  [[nodiscard]] virtual std::vector<std::string> host_programs() const { return {}; }
  // Starts the host side: servers on per-run loopback ports, files in the run directory.
  [[nodiscard]] virtual Status start_host(const TransportContext& context) = 0;
  // Disks, shared folders or host ports the guest needs.
  virtual void adjust_vm(vm::VmSpec& spec) const = 0;
  // Makes the storage appear in the guest.
  [[nodiscard]] virtual Result<Attached> attach(GuestOps& guest) = 0;
  // The host servers, one per export (RAID1: leg 0, leg 1); empty when there is none.
  [[nodiscard]] virtual std::vector<Server*> servers() = 0;
  // The data the guest writes to (export files, shared folders): the runner removes them after
  // the run unless --keep-export.
  [[nodiscard]] virtual std::vector<std::filesystem::path> exports() const { return {}; }
  // Block devices below the storage whose I/O errors it absorbs (RAID1 legs), after attach().
  [[nodiscard]] virtual std::vector<std::string> redundant_devices() const { return {}; }
  // "nbd-server 3.24", "tgtd 1.0.85", "9p (no server)", for reports.
  [[nodiscard]] virtual std::string describe() const = 0;
  // Stops the host side; keeps the first error. Safe to call twice.
  [[nodiscard]] virtual Status stop() = 0;
};

// The static facts of one transport kind and how to make one.
struct TransportEntry {
  config::TransportKind kind;
  // Mounts a remote filesystem (nfs, 9p) rather than giving a block device.
  bool file_transport = false;
  // Can be mirrored with [storage] raid1 = true (two exports, md RAID1 in the guest).
  bool mirrors = false;
  // The [storage] server names it takes; the first is what runs when none is named. Empty: it
  // has no host server to choose.
  std::vector<std::string> servers = {};
  // The fault needs it satisfies for this storage configuration.
  std::vector<config::FaultNeed> (*capabilities)(const config::StorageConfig&) = nullptr;
  // Transport-specific checks; errors name the file and line.
  Status (*validate)(const config::Scenario&) = nullptr;
  // One instance; export_index numbers its export (0 alone, 0 and 1 for RAID1 legs).
  std::unique_ptr<Transport> (*make)(const config::Scenario&, int export_index) = nullptr;
  // The kernel config fragment it needs: vm-images/kconfig/<name>.config.
  const char* kconfig_fragment = nullptr;
};

// The `make` of a TransportEntry: T built from (scenario, export index), or from the scenario
// alone when it has only one export.
template <class T>
std::unique_ptr<Transport> make_transport(const config::Scenario& s, int export_index) {
  if constexpr (std::is_constructible_v<T, const config::Scenario&, int>) {
    return std::make_unique<T>(s, export_index);
  } else {
    return std::make_unique<T>(s);
  }
}

}  // namespace wedge::storage
