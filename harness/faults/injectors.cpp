// make_injector: finds the maker of a fault's kind (one per kind, generated from
// fault_kind_list.h), plus the pieces the injector files share.
#include "harness/faults/injectors.h"

#include "harness/faults/injector_family.h"

namespace wedge::faults {

namespace {

class FunctionInjector final : public Injector {
 public:
  FunctionInjector(std::string description, std::function<Status()> start,
                   std::function<Status()> stop)
      : description_(std::move(description)), start_(std::move(start)), stop_(std::move(stop)) {}
  Status start() override { return start_().context(description_); }
  Status stop() override { return stop_ ? stop_().context(description_) : ok_status(); }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
  std::function<Status()> start_;
  std::function<Status()> stop_;  // empty: nothing to undo
};

}  // namespace

InjectorResult make_function_injector(std::string description, std::function<Status()> start,
                                      std::function<Status()> stop) {
  return InjectorResult(std::make_unique<FunctionInjector>(std::move(description), std::move(start),
                                                           std::move(stop)));
}

Error missing_target(const std::string& description, const char* what) {
  return make_error("{}: no {} to act on", description, what);
}

std::string describe_fault(const config::FaultConfig& fault) {
  std::string d = config::name_of(fault.kind);
  if (!fault.via.empty()) d += " via " + fault.via;
  if (fault.leg != 0) d += fmt::format(" (leg {})", fault.leg);
  return d;
}

storage::Server* server_for(const config::FaultConfig& fault, const InjectorTargets& targets) {
  if (fault.leg < 0 || static_cast<size_t>(fault.leg) >= targets.servers.size()) return nullptr;
  return targets.servers[static_cast<size_t>(fault.leg)];
}

Result<std::unique_ptr<Injector>> make_injector(const config::FaultConfig& fault,
                                                const InjectorTargets& targets) {
  switch (fault.kind) {
#define WEDGE_FAULT_CASE(e, file) \
  case config::FaultKind::e:      \
    return make_##file##_injector(fault, targets);
    WEDGE_FAULT_KINDS(WEDGE_FAULT_CASE)
#undef WEDGE_FAULT_CASE
  }
  return make_error("{}: no injector", describe_fault(fault));
}

Result<std::vector<std::unique_ptr<Injector>>> make_injectors(
    const std::vector<config::FaultConfig>& faults, const InjectorTargets& targets) {
  std::vector<std::unique_ptr<Injector>> out;
  for (size_t i = 0; i < faults.size(); ++i) {
    auto injector = make_injector(faults[i], targets);
    if (!injector) return injector.error().context(fmt::format("fault {}", i));
    out.push_back(std::move(*injector));
  }
  return out;
}

}  // namespace wedge::faults
