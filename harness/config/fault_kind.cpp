// The fault kind registry: finds a kind's declaration by its enum (the switch is generated from
// fault_kind_list.h, so a kind without its file does not link), and the README table.
#include "harness/config/fault_kind.h"

#include <fmt/format.h>

namespace wedge::config {

const FaultKindSpec& fault_kind(FaultKind kind) {
  switch (kind) {
#define WEDGE_FAULT_CASE(e, file) \
  case FaultKind::e:              \
    return file##_fault_kind();
    WEDGE_FAULT_KINDS(WEDGE_FAULT_CASE)
#undef WEDGE_FAULT_CASE
  }
  return server_stall_fault_kind();
}

std::string describe_param(const ParamSpec& spec) {
  std::string out = fmt::format("`{}`", spec.key);
  if (spec.default_value) return out + fmt::format(" (default {})", *spec.default_value);
  return out + fmt::format(" ({}..{})", spec.min, spec.max);
}

std::string fault_kinds_markdown() {
  std::string out = "| kind | keys | what it does |\n|---|---|---|\n";
  for (FaultKind kind : kFaultKinds) {
    const FaultKindSpec& spec = fault_kind(kind);
    std::vector<std::string> keys;
    if (spec.lasting) keys.emplace_back("`duration_s`");
    if (!spec.routes.empty()) {
      std::string via = "`via` = ";
      for (size_t i = 0; i < spec.routes.size(); ++i) {
        via += fmt::format("{}`{}`", i == 0 ? "" : " \\| ", spec.routes[i].via);
      }
      keys.push_back(via + " (default first)");
    }
    for (const ParamSpec& p : spec.params) keys.push_back(describe_param(p) + ": " + p.doc);
    out += fmt::format(
        "| `{}` | {} | {} |\n", spec.name,
        keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, "; ")), spec.doc);
  }
  return out;
}

}  // namespace wedge::config
