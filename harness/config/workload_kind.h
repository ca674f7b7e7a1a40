// What a workload kind takes in a scenario's [workload] table, declared by the kind in its own
// file (harness/config/workload_kinds/<kind>.cpp) and found by its enum (workload_kind_list.h):
// one doc line and its keys, each with type, range, default and doc line. The loader
// (workload_table.h), to_toml, the unknown-key errors, `wedge help workloads` and the README's
// table read only this. What the kind does with them is its WorkloadEntry
// (harness/workload_kinds/<kind>_workload.cpp).
//
//   const config::WorkloadKindSpec& spec = config::workload_kind(config::WorkloadKind::kSwapHog);
//   spec.keys[0].key;                          // "size_mib"
//   scenario.workload.integer("size_mib");     // as given, else the declared default (600)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/config/kinds.h"

namespace wedge::config {

enum class WorkloadKeyType {
  kInt,      // a TOML integer in [min, max]
  kBool,     // true or false
  kStrings,  // an array of strings, passed on as given
  kPath,     // a host file named relative to the scenario's folder: resolved and checked at load
  kPaths,    // an array of such host files
};

struct WorkloadKeySpec {
  const char* key = "";
  WorkloadKeyType type = WorkloadKeyType::kInt;
  long long min = 0;  // kInt: its range
  long long max = 0;
  // Not given: this value (kInt; kBool 1 or 0). nullopt: lists and paths are empty, a number
  // is 0 unless the kind works one out from the scenario, as default_doc says.
  std::optional<long long> default_value = std::nullopt;
  const char* default_doc = "";  // a default the kind works out: "2x guest RAM"
  const char* doc = "";          // one line, for the README's table and `wedge help workloads`
};

// Keys the writing kinds share, declared once (large-file, concurrent-writers).
inline constexpr WorkloadKeySpec kRemountKey{.key = "remount",
                                             .type = WorkloadKeyType::kBool,
                                             .default_value = 0,
                                             .doc = "umount and mount again before verifying"};
inline constexpr WorkloadKeySpec kPauseBeforeVerifyKey{
    .key = "pause_before_verify_s",
    .min = 0,
    .max = 3600,
    .default_value = 0,
    .doc = "seconds held between write and read-back (outside tampering)"};

struct WorkloadKindSpec {
  WorkloadKind kind = WorkloadKind::kSwapHog;
  const char* doc = "";  // what it does, one line
  std::vector<WorkloadKeySpec> keys = {};
};

[[nodiscard]] const WorkloadKindSpec& workload_kind(WorkloadKind kind);

// The kind's declaration of key (nullptr when it takes no such key).
[[nodiscard]] const WorkloadKeySpec* workload_key(WorkloadKind kind, std::string_view key);

// "`size_mib` (default 600)", "`job` (a file)": a key as tables of keys show it.
[[nodiscard]] std::string describe_workload_key(const WorkloadKeySpec& spec);

// The table of workload kinds (markdown), written from the declarations: the README's and
// what `wedge help workloads` prints.
[[nodiscard]] std::string workload_kinds_markdown();

// Declared in each kind's own file.
#define WEDGE_WORKLOAD_KIND_DECLARE(e, file, name) const WorkloadKindSpec& file##_workload_kind();
WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_KIND_DECLARE)
#undef WEDGE_WORKLOAD_KIND_DECLARE

}  // namespace wedge::config
