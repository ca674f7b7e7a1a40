// The workload kind registry: finds a kind's declaration by its enum (the switch is generated
// from workload_kind_list.h, so a kind without its file does not link), the table of kinds, and
// WorkloadConfig's typed reads, which fall back to the declared defaults.
#include "harness/config/workload_kind.h"

#include <fmt/format.h>

#include "harness/config/scenario.h"

namespace wedge::config {

const WorkloadKindSpec& workload_kind(WorkloadKind kind) {
  switch (kind) {
#define WEDGE_WORKLOAD_KIND_CASE(e, file, name) \
  case WorkloadKind::e:                         \
    return file##_workload_kind();
    WEDGE_WORKLOAD_KINDS(WEDGE_WORKLOAD_KIND_CASE)
#undef WEDGE_WORKLOAD_KIND_CASE
  }
  return swap_hog_workload_kind();
}

const WorkloadKeySpec* workload_key(WorkloadKind kind, std::string_view key) {
  for (const WorkloadKeySpec& spec : workload_kind(kind).keys) {
    if (key == spec.key) return &spec;
  }
  return nullptr;
}

std::string describe_workload_key(const WorkloadKeySpec& spec) {
  std::string out = fmt::format("`{}`", spec.key);
  switch (spec.type) {
    case WorkloadKeyType::kInt:
      if (spec.default_value) return out + fmt::format(" (default {})", *spec.default_value);
      if (*spec.default_doc) return out + fmt::format(" (default {})", spec.default_doc);
      return out + fmt::format(" ({}..{})", spec.min, spec.max);
    case WorkloadKeyType::kBool:
      return out + fmt::format(" (default {})", spec.default_value.value_or(0) ? "true" : "false");
    case WorkloadKeyType::kStrings:
      return out + " (strings)";
    case WorkloadKeyType::kPath:
      return out + " (a file)";
    case WorkloadKeyType::kPaths:
      return out + " (files)";
  }
  return out;
}

std::string workload_kinds_markdown() {
  std::string out = "| kind | keys | what it does |\n|---|---|---|\n";
  for (WorkloadKind kind : kWorkloadKinds) {
    const WorkloadKindSpec& spec = workload_kind(kind);
    std::vector<std::string> keys;
    for (const WorkloadKeySpec& k : spec.keys) {
      keys.push_back(describe_workload_key(k) + ": " + k.doc);
    }
    out += fmt::format(
        "| `{}` | {} | {} |\n", name_of(kind),
        keys.empty() ? std::string("none") : fmt::format("{}", fmt::join(keys, "; ")), spec.doc);
  }
  return out;
}

const WorkloadValue* WorkloadConfig::find(std::string_view key) const {
  for (const WorkloadValue& v : values) {
    if (v.key == key) return &v;
  }
  return nullptr;
}

long long WorkloadConfig::number(std::string_view key) const {
  if (const WorkloadValue* v = find(key)) return v->number;
  const WorkloadKeySpec* spec = workload_key(kind, key);
  return spec ? spec->default_value.value_or(0) : 0;
}

std::vector<std::string> WorkloadConfig::strings(std::string_view key) const {
  const WorkloadValue* v = find(key);
  return v ? v->strings : std::vector<std::string>{};
}

std::filesystem::path WorkloadConfig::path(std::string_view key) const {
  const WorkloadValue* v = find(key);
  return v && !v->strings.empty() ? std::filesystem::path(v->strings.front())
                                  : std::filesystem::path();
}

std::vector<std::filesystem::path> WorkloadConfig::paths(std::string_view key) const {
  std::vector<std::filesystem::path> out;
  for (const std::string& s : strings(key)) out.emplace_back(s);
  return out;
}

int WorkloadConfig::line_of(std::string_view key) const {
  if (key == "kind") return kind_line;
  const WorkloadValue* v = find(key);
  return v ? v->line : 0;
}

}  // namespace wedge::config
