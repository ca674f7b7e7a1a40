// A fault kind's own keys, declared once: name, type, range, default and one doc line. The
// loader reads a kind's table through its declaration (file:line errors), and to_toml,
// faults.jsonl and the README's tables are written from it. (Workload kinds, whose keys are also
// flags, lists and paths, declare theirs the same way with WorkloadKeySpec, workload_kind.h.)
//
//   inline const ParamSpec kDelayMs{.key = "delay_ms", .type = ParamType::kInt, .min = 1,
//                                   .max = 600000, .doc = "added latency"};
//   describe_param(kDelayMs);  // "`delay_ms` (1..600000)"
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wedge::config {

enum class ParamType {
  kInt,     // a TOML integer, kept as int
  kNumber,  // an integer or a float, kept as double
};

struct ParamSpec {
  const char* key = "";
  ParamType type = ParamType::kInt;
  double min = 0;
  double max = 0;
  std::optional<double> default_value = std::nullopt;  // nullopt: the key is required
  const char* doc = "";                                // one line, for the README's table
};

// One given (or defaulted) key of a kind's table.
struct ParamValue {
  std::string key;
  double value = 0;
};

// "`delay_ms` (1..600000)", "`delay_ms` (default 200)": for tables of keys.
[[nodiscard]] std::string describe_param(const ParamSpec& spec);

}  // namespace wedge::config
