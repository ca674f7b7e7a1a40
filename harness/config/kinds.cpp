// The name tables of kinds.h. Each name_of is a switch without a default, so a kind added to
// an enum and forgotten here is a compile error; fault kinds name themselves (fault_kind.h).
#include "harness/config/kinds.h"

#include "harness/config/fault_kind.h"

namespace wedge::config {

namespace {

template <typename Kind, size_t N>
std::optional<Kind> parse_of(const std::array<Kind, N>& all, std::string_view name) {
  for (Kind k : all) {
    if (name == name_of(k)) return k;
  }
  return std::nullopt;
}

template <typename Kind, size_t N>
std::vector<std::string> names_of(const std::array<Kind, N>& all) {
  std::vector<std::string> out;
  for (Kind k : all) out.emplace_back(name_of(k));
  return out;
}

}  // namespace

const char* name_of(TransportKind kind) {
  switch (kind) {
#define WEDGE_TRANSPORT_NAME(e, file, name) \
  case TransportKind::e:                    \
    return name;
    WEDGE_TRANSPORT_KINDS(WEDGE_TRANSPORT_NAME)
#undef WEDGE_TRANSPORT_NAME
  }
  return "?";
}

const char* name_of(StorageUse use) {
  switch (use) {
    case StorageUse::kSwap:
      return "swap";
    case StorageUse::kFs:
      return "fs";
    case StorageUse::kDevice:
      return "device";
  }
  return "?";
}

const char* name_of(FaultKind kind) { return fault_kind(kind).name; }

const char* name_of(WorkloadKind kind) {
  switch (kind) {
#define WEDGE_WORKLOAD_NAME(e, file, name) \
  case WorkloadKind::e:                    \
    return name;
    WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_NAME)
#undef WEDGE_WORKLOAD_NAME
  }
  return "?";
}

const char* name_of(NicModel model) {
  switch (model) {
    case NicModel::kVirtio:
      return "virtio";
    case NicModel::kE1000:
      return "e1000";
    case NicModel::kVmxnet3:
      return "vmxnet3";
    case NicModel::kRtl8139:
      return "rtl8139";
  }
  return "?";
}

const char* nic_driver(NicModel model) {
  switch (model) {
    case NicModel::kVirtio:
      return "virtio_net";
    case NicModel::kE1000:
      return "e1000";
    case NicModel::kVmxnet3:
      return "vmxnet3";
    case NicModel::kRtl8139:
      // QEMU's rtl8139 is the C+ revision, which 8139cp drives (8139too would too, slower).
      return "8139cp";
  }
  return "?";
}

const char* name_of(FaultNeed need) {
  switch (need) {
    case FaultNeed::kNothing:
      return "nothing";
    case FaultNeed::kRelay:
      return "wedge's TCP relay in front of a host server";
    case FaultNeed::kServerProcess:
      return "a storage server process on the host";
    case FaultNeed::kNbdkit:
      return "an nbdkit filter ([storage] server = \"nbdkit\")";
    case FaultNeed::kServerGuest:
      return "a server guest (a kernel serving the storage)";
  }
  return "?";
}

std::optional<TransportKind> parse_transport(std::string_view name) {
  return parse_of(kTransportKinds, name);
}
std::optional<StorageUse> parse_storage_use(std::string_view name) {
  return parse_of(kStorageUses, name);
}
std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  return parse_of(kFaultKinds, name);
}
std::optional<WorkloadKind> parse_workload_kind(std::string_view name) {
  return parse_of(kWorkloadKinds, name);
}
std::optional<NicModel> parse_nic_model(std::string_view name) {
  return parse_of(kNicModels, name);
}

std::vector<std::string> transport_names() { return names_of(kTransportKinds); }
std::vector<std::string> storage_use_names() { return names_of(kStorageUses); }
std::vector<std::string> fault_kind_names() { return names_of(kFaultKinds); }
std::vector<std::string> workload_kind_names() { return names_of(kWorkloadKinds); }
std::vector<std::string> nic_model_names() { return names_of(kNicModels); }

FaultNeed need_of(FaultKind kind, std::string_view via) {
  const FaultKindSpec& spec = fault_kind(kind);
  for (const FaultRoute& route : spec.routes) {
    if (via == route.via) return route.need;
  }
  return spec.routes.empty() ? spec.need : spec.routes.front().need;
}

}  // namespace wedge::config
