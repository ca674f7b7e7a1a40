// kind = "error": nbdkit's error filter answers error_rate of the requests with EIO. The filter
// has one rate, fixed when the server starts, so every error fault of a run shares it.
#include <fmt/format.h>

#include "harness/config/fault_kind.h"
#include "harness/config/scenario.h"

namespace wedge::config {

namespace {

Status one_rate_per_run(const FaultConfig& fault, const Scenario& s, const std::string&,
                        const std::string& what) {
  for (const FaultConfig& earlier : s.faults) {
    if (earlier.kind != FaultKind::kError) continue;
    if (earlier.param("error_rate") == fault.param("error_rate")) return ok_status();
    return make_error(
        "{}:{}: {} error_rate = {} differs from the one at line {} ({}): nbdkit's error filter "
        "has one rate per run",
        s.source.string(), fault.line, what, fault.param("error_rate"), earlier.line,
        earlier.param("error_rate"));
  }
  return ok_status();
}

}  // namespace

const FaultKindSpec& error_fault_kind() {
  static const FaultKindSpec spec{.kind = FaultKind::kError,
                                  .name = "error",
                                  .doc = "nbdkit's error filter: EIO on a share of requests",
                                  .need = FaultNeed::kNbdkit,
                                  .lasting = true,
                                  .params = {{.key = "error_rate",
                                              .type = ParamType::kNumber,
                                              .min = 0,
                                              .max = 1,
                                              .doc = "share of requests failed, one per run"}},
                                  .check = one_rate_per_run};
  return spec;
}

}  // namespace wedge::config
