// Matrix TOML loading: top-level keys, [axes], [fault.NAME] and [sysctl.NAME] tables, with
// file:line errors for unknown keys and references to sets that do not exist.

#include <optional>
#include <set>
#include <sstream>

#include "harness/config/load_scenario.h"
#include "harness/config/matrix_file.h"
#include "harness/config/toml_text.h"
#include "harness/util/files.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

std::string at(const fs::path& file, const toml::node& node) {
  return fmt::format("{}:{}", file.string(), node.source().begin.line);
}

Status reject_unknown(const toml::table& table, const std::set<std::string>& known,
                      const std::string& prefix, const fs::path& file) {
  for (const auto& [key, node] : table) {
    if (!known.contains(std::string(key.str()))) {
      return make_error("{}: unknown key {}{}", at(file, node), prefix, key.str());
    }
  }
  return ok_status();
}

Result<std::vector<std::string>> strings(const toml::node& node, const std::string& key,
                                         const fs::path& file) {
  const toml::array* array = node.as_array();
  if (!array) return make_error("{}: {} must be an array of strings", at(file, node), key);
  std::vector<std::string> out;
  for (const auto& item : *array) {
    if (!item.is_string()) return make_error("{}: {} must hold strings", at(file, item), key);
    out.push_back(*item.value<std::string>());
  }
  return out;
}

std::string fault_table_text(const toml::table& table) {
  std::ostringstream out;
  out << table;
  return out.str();
}

Status read_axes(const toml::table& axes, const fs::path& file, Matrix* m) {
  WEDGE_CHECK(reject_unknown(axes, {"kernel", "memory_mib", "transport", "fault", "sysctl"},
                             "axes.", file));
  if (const toml::node* n = axes.get("kernel")) {
    WEDGE_TRY(m->kernels, strings(*n, "axes.kernel", file));
  }
  if (const toml::node* n = axes.get("transport")) {
    WEDGE_TRY(m->transports, strings(*n, "axes.transport", file));
  }
  if (const toml::node* n = axes.get("fault")) {
    WEDGE_TRY(m->faults, strings(*n, "axes.fault", file));
  }
  if (const toml::node* n = axes.get("sysctl")) {
    WEDGE_TRY(m->sysctls, strings(*n, "axes.sysctl", file));
  }
  if (const toml::node* n = axes.get("memory_mib")) {
    const toml::array* array = n->as_array();
    if (!array) return make_error("{}: axes.memory_mib must be an array", at(file, *n));
    for (const auto& item : *array) {
      // Only an integer node: toml++ converts a float to int64 with UB when out of range.
      auto v = item.is_integer() ? item.value<int64_t>() : std::optional<int64_t>();
      if (!item.is_integer() || !v || *v < 64 || *v > 65536) {
        return make_error("{}: axes.memory_mib values must be integers 64..65536", at(file, item));
      }
      m->memory_mib.push_back(static_cast<int>(*v));
    }
  }
  return ok_status();
}

Status read_fault_sets(const toml::table& sets, const fs::path& file, Matrix* m) {
  for (const auto& [name, node] : sets) {
    std::vector<std::string>& tables = m->fault_sets[std::string(name.str())];
    if (const toml::table* one = node.as_table()) {
      tables.push_back(fault_table_text(*one));
    } else if (const toml::array* many = node.as_array(); many && many->is_array_of_tables()) {
      for (const auto& t : *many) tables.push_back(fault_table_text(*t.as_table()));
    } else {
      return make_error("{}: fault.{} must be a table or an array of tables", at(file, node),
                        name.str());
    }
  }
  return ok_status();
}

Status read_sysctl_sets(const toml::table& sets, const fs::path& file, Matrix* m) {
  for (const auto& [name, node] : sets) {
    const toml::table* table = node.as_table();
    if (!table) return make_error("{}: sysctl.{} must be a table", at(file, node), name.str());
    auto& set = m->sysctl_sets[std::string(name.str())];
    for (const auto& [key, value] : *table) {
      std::string text;
      if (value.is_string()) {
        text = *value.value<std::string>();
      } else if (value.is_integer()) {
        text = std::to_string(*value.value<int64_t>());
      } else {
        return make_error("{}: sysctl.{}.{} must be a string or an integer", at(file, value),
                          name.str(), key.str());
      }
      if (text.find_first_of(" \t\n\"") != std::string::npos) {
        return make_error("{}: sysctl.{}.{}: the value may not contain spaces or quotes",
                          at(file, value), name.str(), key.str());
      }
      set.emplace_back(std::string(key.str()), text);
    }
  }
  return ok_status();
}

Status check_references(const Matrix& m) {
  for (const auto& f : m.faults) {
    if (f != "scenario" && f != "none" && !m.fault_sets.contains(f)) {
      return make_error(
          "{}: axes.fault names \"{}\", which is neither \"scenario\", \"none\" "
          "nor a [fault.{}] table",
          m.source.string(), f, f);
    }
  }
  for (const auto& s : m.sysctls) {
    if (s != "default" && !m.sysctl_sets.contains(s)) {
      return make_error(
          "{}: axes.sysctl names \"{}\", which is neither \"default\" nor a "
          "[sysctl.{}] table",
          m.source.string(), s, s);
    }
  }
  return ok_status();
}

}  // namespace

Result<Matrix> parse_matrix(std::string_view text, const fs::path& source_name) {
  WEDGE_TRY(toml::table root, parse_toml(text, source_name));
  Matrix m;
  m.source = source_name;
  m.name = source_name.stem().string();
  WEDGE_CHECK(reject_unknown(root, {"name", "scenarios", "repeat", "axes", "fault", "sysctl"}, "",
                             source_name));
  if (auto name = root["name"].value<std::string>()) m.name = *name;
  if (const toml::node* n = root.get("scenarios")) {
    WEDGE_TRY(m.scenarios, strings(*n, "scenarios", source_name));
  }
  if (m.scenarios.empty())
    return make_error("{}: scenarios = [...] is empty", source_name.string());
  if (const toml::node* n = root.get("repeat")) {
    // Only an integer node: toml++ converts a float to int64 with UB when out of range.
    auto v = n->is_integer() ? n->value<int64_t>() : std::optional<int64_t>();
    if (!n->is_integer() || !v || *v < 1 || *v > 1000) {
      return make_error("{}: repeat must be an integer 1..1000", at(source_name, *n));
    }
    m.repeat = static_cast<int>(*v);
  }
  if (const toml::table* axes = root["axes"].as_table()) {
    WEDGE_CHECK(read_axes(*axes, source_name, &m));
  }
  if (const toml::table* sets = root["fault"].as_table()) {
    WEDGE_CHECK(read_fault_sets(*sets, source_name, &m));
  }
  if (const toml::table* sets = root["sysctl"].as_table()) {
    WEDGE_CHECK(read_sysctl_sets(*sets, source_name, &m));
  }
  WEDGE_CHECK(check_references(m));
  return m;
}

Result<Matrix> load_matrix(const fs::path& path) {
  WEDGE_TRY(std::string text, read_file(path));
  return parse_matrix(text, path);
}

Matrix matrix_of_scenario(const fs::path& scenario_file) {
  Matrix m;
  m.name = scenario_file.stem().string();
  m.scenarios = {fs::absolute(scenario_file).string()};
  m.source = fs::absolute(scenario_file);
  return m;
}

Result<Matrix> load_matrix_or_scenario(const std::string& name_or_path) {
  std::error_code ec;
  if (fs::is_regular_file(name_or_path, ec)) {
    WEDGE_TRY(std::string text, read_file(name_or_path));
    auto root = parse_toml(text, name_or_path);
    if (!root || root->contains("scenarios")) return parse_matrix(text, name_or_path);
  }
  WEDGE_TRY(fs::path scenario, find_scenario(name_or_path));
  return matrix_of_scenario(scenario);
}

}  // namespace wedge::config
