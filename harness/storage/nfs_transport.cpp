// transport = "nfs": placeholder until its transport lands; every scenario naming it is
// rejected at load time.
#include "harness/storage/transport.h"

namespace wedge::storage {

namespace {

std::vector<config::FaultNeed> capabilities(const config::StorageConfig&) { return {}; }

Status validate(const config::Scenario& s) {
  return make_error("{}:{}: [storage] transport = \"{}\" is not available yet", s.source.string(),
                    s.storage.line, config::name_of(s.storage.transport));
}

std::unique_ptr<Transport> make(const config::Scenario&, int) { return nullptr; }

}  // namespace

const TransportEntry& nfs_transport() {
  static const TransportEntry entry{
      config::TransportKind::kNfs, true, false, capabilities, validate, make};
  return entry;
}

}  // namespace wedge::storage
