// What a fault kind is in a scenario, declared by the kind in its own file
// (harness/config/fault_kinds/<kind>.cpp) and found by its enum (fault_kind_list.h): its
// name, its routes (`via`) and what each needs from the storage, whether it lasts, and its own
// keys (params.h). The loader, to_toml, faults.jsonl and the README's table read only this.
//
//   const config::FaultKindSpec& spec = config::fault_kind(config::FaultKind::kDelay);
//   spec.params[0].key;  // "delay_ms"
#pragma once

#include <string>
#include <vector>

#include "harness/config/kinds.h"
#include "harness/config/params.h"
#include "harness/util/result.h"

namespace wedge::config {

struct FaultConfig;
struct Scenario;

struct FaultRoute {
  const char* via = "";
  FaultNeed need = FaultNeed::kNothing;
};

struct FaultKindSpec {
  FaultKind kind = FaultKind::kServerStall;
  const char* name = "";
  const char* doc = "";  // what it breaks, one line (README)
  // The routes: the first is the default; empty: no `via` key and `need` applies.
  std::vector<FaultRoute> routes = {};
  FaultNeed need = FaultNeed::kNothing;
  bool lasting = false;  // takes duration_s (0: until the end of the run)
  bool instant = false;  // nothing to undo (reset, server-crash)
  // Not lasting: why it takes no duration_s ("it is an instant").
  const char* why_no_duration = "";
  // The key whose value is how long it lasts when not duration_s (server-restart), or "".
  const char* lasts_key = "";
  // The fault never ends by itself (server-crash: the server stays down).
  bool never_ends = false;
  std::vector<ParamSpec> params = {};
  // Checks against the rest of the scenario (its earlier faults are loaded), after the keys
  // were read; errors start with `at` (file:line of the key) and `what`. May be null.
  Status (*check)(const FaultConfig& fault, const Scenario& scenario, const std::string& at,
                  const std::string& what) = nullptr;
};

[[nodiscard]] const FaultKindSpec& fault_kind(FaultKind kind);

// The README's table of fault kinds (markdown), written from the declarations.
[[nodiscard]] std::string fault_kinds_markdown();

// Declared in each kind's own file.
#define WEDGE_FAULT_DECLARE(e, file) const FaultKindSpec& file##_fault_kind();
WEDGE_FAULT_KINDS(WEDGE_FAULT_DECLARE)
#undef WEDGE_FAULT_DECLARE

}  // namespace wedge::config
