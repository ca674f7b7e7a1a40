// Implementation of workload_table.h: `kind` is read here, every other key through the kind's
// declaration, so a key is typed, ranged, defaulted and written back from one place.
#include "harness/config/workload_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/config/table_reader.h"
#include "harness/config/workload_kind.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

// Whether path (which exists) is inside dir once symlinks are resolved.
bool inside(const fs::path& path, const fs::path& dir) {
  std::error_code ec;
  fs::path real = fs::canonical(path, ec);
  if (ec) return false;
  fs::path base = fs::canonical(dir, ec);
  if (ec) return false;
  auto [end, ignored] = std::mismatch(base.begin(), base.end(), real.begin(), real.end());
  return end == base.end();
}

// Every key some kind declares: one of another kind is "takes no" rather than "unknown".
bool some_kind_declares(std::string_view key) {
  for (WorkloadKind k : kWorkloadKinds) {
    if (workload_key(k, key)) return true;
  }
  return false;
}

// A host file named in the table: resolved against the scenario's folder, readable, inside it.
Result<std::string> host_file(const std::string& name, const char* key, const toml::node& node,
                              const fs::path& file, bool allow_outside_files) {
  const fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  const fs::path p = fs::path(name).is_absolute() ? fs::path(name) : base / name;
  std::error_code ec;
  if (name.empty() || !fs::is_regular_file(p, ec)) {
    return make_error("{}: [workload] {}: {} is not a readable file", where(file, node.source()),
                      key, p.string());
  }
  if (!allow_outside_files && !inside(p, base)) {
    return make_error(
        "{}: [workload] {}: {} is outside the scenario's folder {} (copy it there, or pass "
        "--allow-outside-files)",
        where(file, node.source()), key, p.string(), base.string());
  }
  return p.string();
}

// One declared key, when the table gives it.
Status read_key(TableReader& r, const WorkloadKeySpec& spec, const fs::path& file,
                bool allow_outside_files, WorkloadConfig* workload) {
  const toml::node* node = r.node_of(spec.key);
  WorkloadValue value{.key = spec.key,
                      .line = node ? static_cast<int>(node->source().begin.line) : 0};
  switch (spec.type) {
    case WorkloadKeyType::kInt: {
      int i = 0;
      WEDGE_CHECK(r.get_int(spec.key, &i, spec.min, spec.max));
      value.number = i;
      break;
    }
    case WorkloadKeyType::kBool: {
      bool b = false;
      WEDGE_CHECK(r.get_bool(spec.key, &b));
      value.number = b ? 1 : 0;
      break;
    }
    case WorkloadKeyType::kStrings:
      WEDGE_CHECK(r.get_string_list(spec.key, &value.strings));
      break;
    case WorkloadKeyType::kPath: {
      std::string name;
      WEDGE_CHECK(r.get_string(spec.key, &name));
      if (node) {
        WEDGE_TRY(std::string p, host_file(name, spec.key, *node, file, allow_outside_files));
        value.strings.push_back(std::move(p));
      }
      break;
    }
    case WorkloadKeyType::kPaths: {
      std::vector<std::string> names;
      WEDGE_CHECK(r.get_string_list(spec.key, &names));
      for (const std::string& name : names) {
        WEDGE_TRY(std::string p, host_file(name, spec.key, *node, file, allow_outside_files));
        value.strings.push_back(std::move(p));
      }
      break;
    }
  }
  if (node) workload->values.push_back(std::move(value));
  return ok_status();
}

}  // namespace

Status read_workload(const toml::table& root, const fs::path& file, bool allow_outside_files,
                     WorkloadConfig* workload) {
  const toml::node* table_node = root.get("workload");
  if (!table_node) return ok_status();
  const toml::table* table = table_node->as_table();
  if (!table) {
    return make_error("{}: 'workload' must be a table ([workload])",
                      where(file, table_node->source()));
  }
  workload->line = static_cast<int>(table->source().begin.line);
  TableReader r(*table, "workload", file);
  std::string kind;
  WEDGE_CHECK(r.get_string("kind", &kind, workload_kind_names()));
  if (const toml::node* node = r.node_of("kind")) {
    workload->kind = *parse_workload_kind(kind);
    workload->kind_line = static_cast<int>(node->source().begin.line);
  }
  const WorkloadKindSpec& spec = workload_kind(workload->kind);
  for (const auto& [key, node] : *table) {
    const std::string k(key.str());
    if (k == "kind" || workload_key(workload->kind, k) || !some_kind_declares(k)) continue;
    std::vector<std::string> takes;
    for (const WorkloadKeySpec& s : spec.keys) takes.emplace_back(s.key);
    return make_error("{}: [workload] kind = \"{}\" takes no {} (it takes: {})",
                      where(file, node.source()), name_of(workload->kind), k,
                      takes.empty() ? "nothing else" : fmt::format("{}", fmt::join(takes, ", ")));
  }
  for (const WorkloadKeySpec& key : spec.keys) {
    WEDGE_CHECK(read_key(r, key, file, allow_outside_files, workload));
  }
  return r.reject_unknown();
}

toml::table workload_to_toml(const WorkloadConfig& w) {
  toml::table t{{"kind", name_of(w.kind)}};
  auto array = [](const std::vector<std::string>& list) {
    toml::array a;
    for (const std::string& item : list) a.push_back(item);
    return a;
  };
  for (const WorkloadValue& v : w.values) {
    const WorkloadKeySpec* spec = workload_key(w.kind, v.key);
    if (!spec) continue;  // set in code for another kind: not a key of this table
    switch (spec->type) {
      case WorkloadKeyType::kInt:
        t.insert(v.key, static_cast<int64_t>(v.number));
        break;
      case WorkloadKeyType::kBool:
        t.insert(v.key, v.number != 0);
        break;
      case WorkloadKeyType::kStrings:
      case WorkloadKeyType::kPaths:
        t.insert(v.key, array(v.strings));
        break;
      case WorkloadKeyType::kPath:
        t.insert(v.key, v.strings.empty() ? std::string() : v.strings.front());
        break;
    }
  }
  return t;
}

}  // namespace wedge::config
