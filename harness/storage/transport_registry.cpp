// The transport registry (generated from config/transport_kind_list.h: one line per transport)
// and the load-time storage checks.
#include "harness/storage/transport_registry.h"

#include <algorithm>

#include "harness/storage/raid1.h"

namespace wedge::storage {

// Defined in each transport's own file.
#define WEDGE_TRANSPORT_DECLARE(e, file, name) const TransportEntry& file##_transport();
WEDGE_TRANSPORT_KINDS(WEDGE_TRANSPORT_DECLARE)
#undef WEDGE_TRANSPORT_DECLARE

const TransportEntry& transport_entry(config::TransportKind kind) {
  switch (kind) {
#define WEDGE_TRANSPORT_CASE(e, file, name) \
  case config::TransportKind::e:            \
    return file##_transport();
    WEDGE_TRANSPORT_KINDS(WEDGE_TRANSPORT_CASE)
#undef WEDGE_TRANSPORT_CASE
  }
  return nbd_transport();
}

void ImageNeeds::add(const ImageNeeds& other) {
  auto merge = [](auto& into, const auto& from) {
    for (const auto& item : from) {
      if (std::find(into.begin(), into.end(), item) == into.end()) into.push_back(item);
    }
  };
  merge(tools, other.tools);
  merge(drivers, other.drivers);
  merge(files, other.files);
  merge(packages, other.packages);
  merge(lean_tools, other.lean_tools);
}

std::unique_ptr<Transport> make_transport(const config::Scenario& scenario) {
  const TransportEntry& entry = transport_entry(scenario.storage.transport);
  auto first = entry.make(scenario, 0);
  if (!first || !scenario.storage.raid1) return first;
  auto second = entry.make(scenario, 1);
  if (!second) return nullptr;
  return make_raid1(std::move(first), std::move(second));
}

std::string server_name(const config::StorageConfig& storage) {
  if (!storage.server.empty()) return storage.server;
  const TransportEntry& entry = transport_entry(storage.transport);
  return entry.servers.empty() ? std::string() : entry.servers.front();
}

namespace {

Status check_server(const config::Scenario& s, const TransportEntry& entry) {
  const config::StorageConfig& st = s.storage;
  if (st.server.empty()) return ok_status();
  if (std::find(entry.servers.begin(), entry.servers.end(), st.server) != entry.servers.end()) {
    return ok_status();
  }
  const std::string at =
      fmt::format("{}:{}: [storage] server = \"{}\": transport = \"{}\"", s.source.string(),
                  st.line, st.server, config::name_of(st.transport));
  if (entry.servers.empty()) return make_error("{} has no host server (leave server out)", at);
  std::string names;
  for (size_t i = 0; i < entry.servers.size(); ++i) {
    names += fmt::format("{}\"{}\"", i == 0 ? "" : " or ", entry.servers[i]);
  }
  if (entry.servers.size() == 1) {
    return make_error("{} is served by {} (write server = {} or leave it out)", at, names, names);
  }
  return make_error("{} is served by {}", at, names);
}

}  // namespace

Status check_storage(const config::Scenario& s) {
  const config::StorageConfig& st = s.storage;
  const TransportEntry& entry = transport_entry(st.transport);
  const std::string at = fmt::format("{}:{}", s.source.string(), st.line);
  const char* name = config::name_of(st.transport);
  if (entry.file_transport && st.use == config::StorageUse::kDevice) {
    return make_error(
        "{}: [storage] use = \"device\": transport = \"{}\" shares files, it has no block device "
        "(use \"fs\" or \"swap\")",
        at, name);
  }
  if (st.raid1 && !entry.mirrors) {
    return make_error(
        "{}: [storage] raid1 = true needs a block transport served from the host "
        "(nbd or iscsi), not \"{}\"",
        at, name);
  }
  WEDGE_CHECK(check_server(s, entry));
  if (entry.validate) WEDGE_CHECK(entry.validate(s));
  std::vector<config::FaultNeed> can = entry.capabilities(st);
  for (const config::FaultConfig& f : s.faults) {
    config::FaultNeed need = config::need_of(f.kind, f.via);
    if (need == config::FaultNeed::kNothing) continue;
    if (std::find(can.begin(), can.end(), need) == can.end()) {
      return make_error(
          "{}:{}: [[fault]] kind = \"{}\"{} needs {}; transport = \"{}\"{} has none",
          s.source.string(), f.line, config::name_of(f.kind),
          f.via.empty() ? "" : fmt::format(" via = \"{}\"", f.via), config::name_of(need), name,
          need == config::FaultNeed::kNbdkit ? fmt::format(" with server = \"{}\"", server_name(st))
                                             : "");
    }
  }
  return ok_status();
}

}  // namespace wedge::storage
