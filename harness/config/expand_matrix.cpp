// Matrix expansion: each scenario's TOML with the axis values applied, re-validated by the
// scenario loader, so a cell is exactly what `wedge run` will load from its file.

#include <fmt/format.h>

#include <cstdint>
#include <sstream>

#include "harness/config/load_scenario.h"
#include "harness/config/matrix_file.h"
#include "harness/config/toml_text.h"
#include "harness/util/files.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

// One value per axis; nullopt-like empty string / 0 means "the scenario's own".
struct Point {
  std::string kernel;
  int memory_mib = 0;
  std::string transport;
  std::string fault;
  std::string sysctl;
};

Result<fs::path> resolve_scenario(const std::string& name, const fs::path& matrix_file) {
  fs::path relative = matrix_file.parent_path() / name;
  std::error_code ec;
  bool file_like = name.find('/') != std::string::npos || name.ends_with(".toml");
  if (file_like && fs::path(name).is_relative() && fs::is_regular_file(relative, ec)) {
    return relative;
  }
  return find_scenario(name);
}

toml::table& subtable(toml::table& root, const char* key) {
  if (!root[key].is_table()) root.insert_or_assign(key, toml::table{});
  return *root[key].as_table();
}

Status apply(const Matrix& m, const Point& p, toml::table& root) {
  if (!p.kernel.empty()) subtable(root, "guest").insert_or_assign("kernel", p.kernel);
  if (p.memory_mib) subtable(root, "guest").insert_or_assign("memory_mib", p.memory_mib);
  if (!p.transport.empty()) {
    toml::table& storage = subtable(root, "storage");
    auto old = storage["transport"].value<std::string>();
    if (old.value_or("nbd") != p.transport) storage.erase("server");  // the old one's server
    storage.insert_or_assign("transport", p.transport);
  }
  if (p.fault == "none") {
    root.erase("fault");
  } else if (!p.fault.empty() && p.fault != "scenario") {
    toml::array faults;
    for (const auto& text : m.fault_sets.at(p.fault)) faults.push_back(toml::parse(text));
    root.insert_or_assign("fault", std::move(faults));
  }
  if (!p.sysctl.empty() && p.sysctl != "default") {
    toml::table& guest = subtable(root, "guest");
    std::string cmdline = guest["cmdline"].value_or(std::string());
    for (const auto& [key, value] : m.sysctl_sets.at(p.sysctl)) {
      cmdline += (cmdline.empty() ? "" : " ") + fmt::format("sysctl.{}={}", key, value);
    }
    guest.insert_or_assign("cmdline", cmdline);
  }
  return ok_status();
}

std::string id_of(const std::string& scenario,
                  const std::vector<std::pair<std::string, std::string>>& axes) {
  std::string id = cell_token(scenario);
  for (const auto& [axis, value] : axes) id += "." + axis + "-" + cell_token(value);
  return id;
}

// The axes as lists of points, each unset axis contributing one "scenario's own" value.
std::vector<Point> points_of(const Matrix& m) {
  std::vector<Point> points{Point{}};
  auto cross = [&points](auto values, auto setter) {
    if (values.empty()) return;
    std::vector<Point> next;
    for (const Point& p : points) {
      for (const auto& v : values) {
        Point q = p;
        setter(q, v);
        next.push_back(q);
      }
    }
    points = std::move(next);
  };
  cross(m.kernels, [](Point& p, const std::string& v) { p.kernel = v; });
  cross(m.memory_mib, [](Point& p, int v) { p.memory_mib = v; });
  cross(m.transports, [](Point& p, const std::string& v) { p.transport = v; });
  cross(m.faults, [](Point& p, const std::string& v) { p.fault = v; });
  cross(m.sysctls, [](Point& p, const std::string& v) { p.sysctl = v; });
  return points;
}

std::vector<std::pair<std::string, std::string>> axes_of(const Matrix& m, const Point& p) {
  std::vector<std::pair<std::string, std::string>> axes;
  if (!m.kernels.empty()) axes.emplace_back("kernel", p.kernel);
  if (!m.memory_mib.empty()) axes.emplace_back("mem", std::to_string(p.memory_mib));
  if (!m.transports.empty()) axes.emplace_back("transport", p.transport);
  if (!m.faults.empty()) axes.emplace_back("fault", p.fault);
  if (!m.sysctls.empty()) axes.emplace_back("sysctl", p.sysctl);
  return axes;
}

}  // namespace

std::string cell_token(const std::string& value) {
  std::string base =
      value.find('/') == std::string::npos ? value : fs::path(value).filename().string();
  std::string out;
  for (char c : base) {
    bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out += safe ? c : (c == '.' ? '_' : '-');
  }
  if (out.empty()) return "x";
  constexpr size_t kMaxToken = 26;
  if (out.size() <= kMaxToken) return out;
  // FNV-1a of the whole value: two long values that share their first 16 characters still
  // give two tokens (and a collision is caught as "listed twice" by expand_matrix).
  uint32_t hash = 2166136261u;
  for (char c : value) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  return fmt::format("{}-{:08x}", out.substr(0, 16), hash);
}

Result<std::vector<Cell>> expand_matrix(const Matrix& m) {
  std::vector<Cell> cells;
  const std::vector<Point> points = points_of(m);
  std::vector<std::string> names;
  for (const auto& name : m.scenarios) {
    if (name != "*") {
      names.push_back(name);
      continue;
    }
    for (const auto& builtin : builtin_scenario_names()) names.push_back(builtin);
  }
  for (const auto& name : names) {
    WEDGE_TRY(fs::path file, resolve_scenario(name, m.source).context(m.source.string()));
    WEDGE_TRY(std::string text, read_file(file));
    for (const Point& p : points) {
      WEDGE_TRY(toml::table root, parse_toml(text, file));
      WEDGE_CHECK(apply(m, p, root));
      std::ostringstream out;
      out << root << "\n";
      Cell cell;
      cell.axes = axes_of(m, p);
      std::string where = cell.axes.empty() ? name : id_of(name, cell.axes);
      WEDGE_TRY(Scenario s,
                parse_scenario(out.str(), file, {.allow_outside_files = m.allow_outside_files})
                    .context("matrix cell " + where));
      cell.index = static_cast<int>(cells.size());
      cell.scenario = s.name.empty() ? file.stem().string() : s.name;
      cell.scenario_file = file;
      cell.id = id_of(cell.scenario, cell.axes);
      cell.labels = {{"scenario", cell.scenario},
                     {"kernel", s.guest.kernel},
                     {"transport", name_of(s.storage.transport)},
                     {"workload", name_of(s.workload.kind)}};
      cell.toml = to_toml(s);
      cell.duration_s = s.limits.duration_s;
      for (const Cell& other : cells) {
        if (other.id == cell.id) {
          return make_error("{}: scenario {} is listed twice", m.source.string(), cell.scenario);
        }
      }
      cells.push_back(std::move(cell));
    }
  }
  return cells;
}

}  // namespace wedge::config
