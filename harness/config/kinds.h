// The kinds a scenario names (transport, storage use, workload, fault, guest NIC), as enums with
// one name table each. Code switches on the enums, never on strings, so a new kind that some table
// or switch forgets does not compile (-Werror=switch).
//
//   auto kind = config::parse_transport("iscsi");   // TransportKind::kIscsi
//   config::name_of(config::FaultKind::kServerStall);  // "server-stall"
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/config/fault_kind_list.h"
#include "harness/config/transport_kind_list.h"
#include "harness/config/workload_kind_list.h"

namespace wedge::config {

// Where the guest's storage comes from; one line each in transport_kind_list.h, made by
// harness/storage/ (transport_registry.h).
enum class TransportKind {
#define WEDGE_TRANSPORT_ENUM(e, file, name) e,
  WEDGE_TRANSPORT_KINDS(WEDGE_TRANSPORT_ENUM)
#undef WEDGE_TRANSPORT_ENUM
};
inline constexpr std::array kTransportKinds = {
#define WEDGE_TRANSPORT_ARRAY(e, file, name) TransportKind::e,
    WEDGE_TRANSPORT_KINDS(WEDGE_TRANSPORT_ARRAY)
#undef WEDGE_TRANSPORT_ARRAY
};

// What the storage is used for in the guest.
enum class StorageUse {
  kSwap,    // swap on the device (block transports) or a swap file on the mount (file ones)
  kFs,      // a filesystem mounted at /mnt/wedge
  kDevice,  // the raw block device, its path handed to the workload
};
inline constexpr std::array kStorageUses = {StorageUse::kSwap, StorageUse::kFs,
                                            StorageUse::kDevice};

// What runs in the guest while wedge watches ([workload] kind); one line each in
// workload_kind_list.h, its keys declared in harness/config/workload_kinds/ (workload_kind.h) and
// run by harness/workload_kinds/ (workload_registry.h).
enum class WorkloadKind {
#define WEDGE_WORKLOAD_ENUM(e, file, name) e,
  WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_ENUM)
#undef WEDGE_WORKLOAD_ENUM
};
inline constexpr std::array kWorkloadKinds = {
#define WEDGE_WORKLOAD_ARRAY(e, file, name) WorkloadKind::e,
    WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_ARRAY)
#undef WEDGE_WORKLOAD_ARRAY
};

// What a [[fault]] breaks; one line each in fault_kind_list.h, declared in
// harness/config/fault_kinds/ (fault_kind.h) and injected by harness/faults/.
enum class FaultKind {
#define WEDGE_FAULT_ENUM(e, file) e,
  WEDGE_FAULT_KINDS(WEDGE_FAULT_ENUM)
#undef WEDGE_FAULT_ENUM
};
inline constexpr std::array kFaultKinds = {
#define WEDGE_FAULT_ARRAY(e, file) FaultKind::e,
    WEDGE_FAULT_KINDS(WEDGE_FAULT_ARRAY)
#undef WEDGE_FAULT_ARRAY
};

// The guest's network card ([guest] nic), named as libvirt names the interface model. The guest
// kernel needs the card's driver (nic_driver), built in or as a module.
enum class NicModel {
  kVirtio,   // virtio-net: the default; its receive refill runs from a workqueue (refill_work)
  kE1000,    // Intel 82540EM: in Debian's generic kernel, not in the cloud one
  kVmxnet3,  // VMware's paravirtual card: in both of Debian's flavours
  kRtl8139,  // Realtek RTL8139C+ (driver 8139cp): in Debian's generic kernel
};
inline constexpr std::array kNicModels = {NicModel::kVirtio, NicModel::kE1000, NicModel::kVmxnet3,
                                          NicModel::kRtl8139};

// [guest] kernel names for Debian's own kernels: "default" (the cloud flavour) and
// "debian-amd64" (the generic flavour, which has 9p); anything else is a bzImage path.
[[nodiscard]] inline bool is_stock_kernel(std::string_view kernel) {
  return kernel == "default" || kernel == "debian-amd64";
}

[[nodiscard]] const char* name_of(TransportKind kind);
[[nodiscard]] const char* name_of(StorageUse use);
[[nodiscard]] const char* name_of(FaultKind kind);
[[nodiscard]] const char* name_of(WorkloadKind kind);
[[nodiscard]] const char* name_of(NicModel model);

[[nodiscard]] std::optional<TransportKind> parse_transport(std::string_view name);
[[nodiscard]] std::optional<StorageUse> parse_storage_use(std::string_view name);
[[nodiscard]] std::optional<FaultKind> parse_fault_kind(std::string_view name);
[[nodiscard]] std::optional<WorkloadKind> parse_workload_kind(std::string_view name);
[[nodiscard]] std::optional<NicModel> parse_nic_model(std::string_view name);

// All names of an enum, in declaration order, for "must be one of" messages.
[[nodiscard]] std::vector<std::string> transport_names();
[[nodiscard]] std::vector<std::string> storage_use_names();
[[nodiscard]] std::vector<std::string> fault_kind_names();
[[nodiscard]] std::vector<std::string> workload_kind_names();
[[nodiscard]] std::vector<std::string> nic_model_names();

// The kernel module that drives a NIC model in the guest: nic_driver(NicModel::kE1000) == "e1000".
[[nodiscard]] const char* nic_driver(NicModel model);

// What a fault needs from the storage to be injected at all.
enum class FaultNeed {
  kNothing,        // acts on the guest (balloon, memory.max)
  kRelay,          // wedge's TCP relay in front of a host server (network faults)
  kServerProcess,  // a host server process to signal, kill or restart
  kNbdkit,         // an nbdkit filter (error, pause, rate via nbdkit)
  kServerGuest,    // a server guest: a kernel serving the storage (its balloon)
};
// The need of a kind on a route (its `via`; the kind declares both, fault_kind.h).
[[nodiscard]] FaultNeed need_of(FaultKind kind, std::string_view via);
[[nodiscard]] const char* name_of(FaultNeed need);

}  // namespace wedge::config
