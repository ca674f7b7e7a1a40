// Strict TOML scenario loading: every table is read through a TableReader that records which
// keys were understood, so leftovers become "unknown key" errors with their line numbers.
#include "harness/config/load_scenario.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "harness/util/files.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

std::string where(const fs::path& file, const toml::source_region& region) {
  return fmt::format("{}:{}", file.string(), region.begin.line);
}

// Reads typed keys out of one TOML table, remembering the keys it was asked about.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string name, const fs::path& file)
      : table_(table), name_(std::move(name)), file_(file) {}

  Status get_int(const char* key, int* out, long long min, long long max) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    auto value = node->value<int64_t>();
    if (!node->is_integer() || !value) return type_error(node, key, "an integer");
    if (*value < min || *value > max) {
      return make_error("{}: {}{} = {}: must be between {} and {}", where(file_, node->source()),
                        prefix(), key, *value, min, max);
    }
    *out = static_cast<int>(*value);
    return ok_status();
  }

  Status get_bool(const char* key, bool* out) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    if (!node->is_boolean()) return type_error(node, key, "true or false");
    *out = *node->value<bool>();
    return ok_status();
  }

  // choices empty: any string.
  Status get_string(const char* key, std::string* out,
                    const std::vector<std::string>& choices = {}) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    if (!node->is_string()) return type_error(node, key, "a string");
    std::string value = *node->value<std::string>();
    if (!choices.empty() && std::find(choices.begin(), choices.end(), value) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "\"" : ", \"") + c + "\"";
      return make_error("{}: {}{} = \"{}\": must be one of {}", where(file_, node->source()),
                        prefix(), key, value, list);
    }
    *out = std::move(value);
    return ok_status();
  }

  Status get_string_list(const char* key, std::vector<std::string>* out) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    const toml::array* array = node->as_array();
    if (!array) return type_error(node, key, "an array of strings");
    out->clear();
    for (const toml::node& element : *array) {
      if (!element.is_string()) return type_error(&element, key, "an array of strings");
      out->push_back(*element.value<std::string>());
    }
    return ok_status();
  }

  // Errors for keys nobody asked about (typos, keys from a newer wedge).
  Status reject_unknown(const std::vector<std::string>& subtables = {}) const {
    for (const auto& [key, node] : table_) {
      std::string k(key.str());
      if (asked_.count(k) || std::find(subtables.begin(), subtables.end(), k) != subtables.end()) {
        continue;
      }
      return make_error("{}: unknown key '{}'{}", where(file_, node.source()), k,
                        name_.empty() ? "" : fmt::format(" in [{}]", name_));
    }
    return ok_status();
  }

  [[nodiscard]] const toml::node* node_of(const char* key) const { return table_.get(key); }

 private:
  const toml::node* find(const char* key) {
    asked_.insert(key);
    return table_.get(key);
  }
  std::string prefix() const { return name_.empty() ? "" : fmt::format("[{}] ", name_); }
  Error type_error(const toml::node* node, const char* key, const char* expected) const {
    return make_error("{}: {}{} must be {}", where(file_, node->source()), prefix(), key, expected);
  }

  const toml::table& table_;
  std::string name_;
  const fs::path& file_;
  std::set<std::string> asked_;
};

// Returns the sub-table `name` (or nullptr when absent); a non-table value is an error.
Result<const toml::table*> subtable(const toml::table& root, const char* name,
                                    const fs::path& file) {
  const toml::node* node = root.get(name);
  if (!node) return static_cast<const toml::table*>(nullptr);
  if (!node->is_table()) {
    return make_error("{}: '{}' must be a table ([{}])", where(file, node->source()), name, name);
  }
  return node->as_table();
}

Status read_guest(const toml::table& root, const fs::path& file, GuestConfig* guest) {
  WEDGE_TRY(const toml::table* table, subtable(root, "guest", file));
  if (!table) return ok_status();
  TableReader r(*table, "guest", file);
  WEDGE_CHECK(r.get_int("memory_mib", &guest->memory_mib, 64, 65536));
  WEDGE_CHECK(r.get_int("vcpus", &guest->vcpus, 1, 64));
  WEDGE_CHECK(r.get_string("kernel", &guest->kernel));
  WEDGE_CHECK(r.get_string("modules", &guest->modules));
  WEDGE_CHECK(r.get_string("cmdline", &guest->cmdline));
  if (guest->kernel.empty()) {
    return make_error("{}: [guest] kernel must be \"default\" or a path to a bzImage",
                      where(file, r.node_of("kernel")->source()));
  }
  return r.reject_unknown();
}

Status read_storage(const toml::table& root, const fs::path& file, StorageConfig* storage) {
  WEDGE_TRY(const toml::table* table, subtable(root, "storage", file));
  if (!table) return ok_status();
  TableReader r(*table, "storage", file);
  WEDGE_CHECK(r.get_string("transport", &storage->transport, {"nbd"}));
  WEDGE_CHECK(r.get_string("server", &storage->server, {"nbd-server", "nbdkit"}));
  WEDGE_CHECK(r.get_string("server_binary", &storage->server_binary));
  WEDGE_CHECK(r.get_int("size_mib", &storage->size_mib, 16, 1024 * 1024));
  WEDGE_CHECK(r.get_string("use", &storage->use, {"swap"}));
  return r.reject_unknown();
}

Status read_workload(const toml::table& root, const fs::path& file, WorkloadConfig* workload) {
  WEDGE_TRY(const toml::table* table, subtable(root, "workload", file));
  if (!table) return ok_status();
  TableReader r(*table, "workload", file);
  WEDGE_CHECK(r.get_string("kind", &workload->kind, {"swap-hog", "command"}));
  WEDGE_CHECK(r.get_int("size_mib", &workload->size_mib, 1, 1024 * 1024));
  WEDGE_CHECK(r.get_bool("verify", &workload->verify));
  WEDGE_CHECK(r.get_string_list("argv", &workload->argv));
  std::vector<std::string> files;
  WEDGE_CHECK(r.get_string_list("files", &files));
  WEDGE_CHECK(r.reject_unknown());

  const toml::node* kind_node = r.node_of("kind");
  std::string at = kind_node ? where(file, kind_node->source()) : where(file, table->source());
  if (workload->kind == "command") {
    if (workload->argv.empty()) {
      return make_error("{}: [workload] kind = \"command\" needs argv = [\"/path\", ...]", at);
    }
    if (workload->argv[0].empty() || workload->argv[0][0] != '/') {
      return make_error("{}: [workload] argv[0] must be an absolute path in the guest, got \"{}\"",
                        at, workload->argv[0]);
    }
  } else if (!workload->argv.empty() || !files.empty()) {
    return make_error("{}: [workload] argv and files only apply to kind = \"command\"", at);
  }
  fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const std::string& f : files) {
    fs::path p = fs::path(f).is_absolute() ? fs::path(f) : base / f;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      return make_error("{}: [workload] files: {} is not a readable file",
                        where(file, r.node_of("files")->source()), p.string());
    }
    workload->files.push_back(p);
  }
  return ok_status();
}

Status read_limits(const toml::table& root, const fs::path& file, LimitsConfig* limits) {
  WEDGE_TRY(const toml::table* table, subtable(root, "limits", file));
  if (!table) return ok_status();
  TableReader r(*table, "limits", file);
  WEDGE_CHECK(r.get_int("duration_s", &limits->duration_s, 10, 7 * 24 * 3600));
  WEDGE_CHECK(r.get_int("stall_s", &limits->stall_s, 1, 3600));
  WEDGE_CHECK(r.get_bool("oom_ok", &limits->oom_ok));
  return r.reject_unknown();
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view text, const fs::path& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name.string());
  } catch (const toml::parse_error& e) {
    return make_error("{}:{}:{}: {}", source_name.string(), e.source().begin.line,
                      e.source().begin.column, e.description());
  }
  Scenario s;
  s.source = source_name;
  TableReader top(root, "", source_name);
  WEDGE_CHECK(top.get_string("name", &s.name));
  WEDGE_CHECK(top.get_string("description", &s.description));
  WEDGE_CHECK(top.reject_unknown({"guest", "storage", "workload", "limits"}));
  if (s.name.empty()) {
    s.name = source_name.stem().string();
  }
  for (char c : s.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return make_error("{}:{}: name \"{}\" may only hold letters, digits, '-', '_' and '.'",
                        source_name.string(), root.get("name")->source().begin.line, s.name);
    }
  }
  WEDGE_CHECK(read_guest(root, source_name, &s.guest));
  WEDGE_CHECK(read_storage(root, source_name, &s.storage));
  WEDGE_CHECK(read_workload(root, source_name, &s.workload));
  WEDGE_CHECK(read_limits(root, source_name, &s.limits));

  if (s.storage.use == "swap" && s.workload.kind == "swap-hog" &&
      s.workload.size_mib >= s.guest.memory_mib + s.storage.size_mib) {
    return make_error(
        "{}: [workload] size_mib = {} cannot fit in guest memory ({} MiB) plus swap ({} MiB)",
        source_name.string(), s.workload.size_mib, s.guest.memory_mib, s.storage.size_mib);
  }
  return s;
}

Result<Scenario> load_scenario(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return text.error().context("reading scenario");
  return parse_scenario(*text, path);
}

fs::path builtin_scenario_dir() {
  if (const char* env = std::getenv("WEDGE_SCENARIO_DIR"); env && *env) return env;
  return fs::path(WEDGE_SOURCE_DIR) / "workloads" / "scenarios";
}

std::vector<std::string> builtin_scenario_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(builtin_scenario_dir(), ec)) {
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<fs::path> find_scenario(const std::string& name_or_path) {
  std::error_code ec;
  if (fs::is_regular_file(name_or_path, ec)) return fs::path(name_or_path);
  fs::path builtin = builtin_scenario_dir() / (name_or_path + ".toml");
  if (name_or_path.find('/') == std::string::npos && fs::is_regular_file(builtin, ec)) {
    return builtin;
  }
  std::string names;
  for (const auto& n : builtin_scenario_names()) names += (names.empty() ? "" : ", ") + n;
  return make_error("no scenario file {} and no built-in scenario of that name (built-in: {})",
                    name_or_path, names.empty() ? "none found" : names);
}

std::string to_toml(const Scenario& s) {
  toml::table guest{{"memory_mib", s.guest.memory_mib},
                    {"vcpus", s.guest.vcpus},
                    {"kernel", s.guest.kernel},
                    {"modules", s.guest.modules},
                    {"cmdline", s.guest.cmdline}};
  toml::table storage{{"transport", s.storage.transport},
                      {"server", s.storage.server},
                      {"size_mib", s.storage.size_mib},
                      {"use", s.storage.use}};
  if (!s.storage.server_binary.empty()) storage.insert("server_binary", s.storage.server_binary);
  toml::table workload{{"kind", s.workload.kind}};
  if (s.workload.kind == "command") {
    toml::array argv, files;
    for (const auto& a : s.workload.argv) argv.push_back(a);
    for (const auto& f : s.workload.files) files.push_back(f.string());
    workload.insert("argv", argv);
    workload.insert("files", files);
  } else {
    workload.insert("size_mib", s.workload.size_mib);
    workload.insert("verify", s.workload.verify);
  }
  toml::table limits{{"duration_s", s.limits.duration_s},
                     {"stall_s", s.limits.stall_s},
                     {"oom_ok", s.limits.oom_ok}};
  toml::table root{{"name", s.name},     {"description", s.description}, {"guest", guest},
                   {"storage", storage}, {"workload", workload},         {"limits", limits}};
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace wedge::config
