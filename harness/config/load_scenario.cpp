// Strict TOML scenario loading: every table is read through a TableReader that records which
// keys were understood, so leftovers become "unknown key" errors with their line numbers.
#include "harness/config/load_scenario.h"

#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include "harness/config/fault_table.h"
#include "harness/config/sysctl_keys.h"
#include "harness/config/table_reader.h"
#include "harness/util/files.h"
#include "harness/util/text.h"

namespace wedge::config {

namespace fs = std::filesystem;

namespace {

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

// Reads a string key naming an enum value through its parse function.
template <typename Kind>
Status get_kind(TableReader& r, const char* key, Kind* out, const std::vector<std::string>& names,
                std::optional<Kind> (*parse)(std::string_view)) {
  std::string name;
  WEDGE_CHECK(r.get_string(key, &name, names));
  if (!name.empty()) *out = *parse(name);
  return ok_status();
}

// [guest] packages: Debian package names only (they become apt-get arguments).
Status read_packages(TableReader& r, const fs::path& file, GuestConfig* guest) {
  WEDGE_CHECK(r.get_string_list("packages", &guest->packages));
  const toml::node* node = r.node_of("packages");
  if (!node) return ok_status();
  guest->packages_line = static_cast<int>(node->source().begin.line);
  for (const std::string& name : guest->packages) {
    if (!is_debian_package_name(name)) {
      return make_error(
          "{}: [guest] packages: \"{}\" is not a Debian package name (lowercase letters, digits, "
          "'+', '-', '.'; at least 2 characters, starting with a letter or digit)",
          where(file, node->source()), name);
    }
  }
  return ok_status();
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
  WEDGE_CHECK(get_kind(r, "nic", &guest->nic, nic_model_names(), parse_nic_model));
  if (guest->kernel.empty()) {
    return make_error("{}: [guest] kernel must be \"default\" or a path to a bzImage",
                      where(file, r.node_of("kernel")->source()));
  }
  WEDGE_CHECK(read_packages(r, file, guest));
  return r.reject_unknown();
}

Status read_storage(const toml::table& root, const fs::path& file, StorageConfig* storage) {
  WEDGE_TRY(const toml::table* table, subtable(root, "storage", file));
  if (!table) return ok_status();
  storage->line = static_cast<int>(table->source().begin.line);
  TableReader r(*table, "storage", file);
  WEDGE_CHECK(get_kind(r, "transport", &storage->transport, transport_names(), parse_transport));
  WEDGE_CHECK(r.get_string("server", &storage->server));
  WEDGE_CHECK(r.get_string("server_binary", &storage->server_binary));
  WEDGE_CHECK(r.get_int("size_mib", &storage->size_mib, 16, 1024 * 1024));
  WEDGE_CHECK(get_kind(r, "use", &storage->use, storage_use_names(), parse_storage_use));
  WEDGE_CHECK(r.get_string("fs", &storage->fs, {"ext4", "ext2", "xfs", "btrfs"}));
  WEDGE_CHECK(r.get_string("mount_options", &storage->mount_options));
  WEDGE_CHECK(r.get_bool("raid1", &storage->raid1));
  WEDGE_CHECK(r.get_bool("server_io_flusher", &storage->server_io_flusher));
  WEDGE_CHECK(r.get_int("server_memory_mib", &storage->server_memory_mib, 64, 64 * 1024));
  for (char c : storage->mount_options) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view(",=_-.:").find(c) == std::string_view::npos) {
      return make_error(
          "{}: [storage] mount_options = \"{}\": only letters, digits and ,=_-.: "
          "are allowed",
          where(file, r.node_of("mount_options")->source()), storage->mount_options);
    }
  }
  WEDGE_CHECK(r.reject_unknown());
  if (storage->server_io_flusher && storage->transport != TransportKind::kNbdLoopback) {
    return make_error(
        "{}: [storage] server_io_flusher applies to the nbd-server inside the guest "
        "(transport = \"nbd-loopback\") only",
        where(file, r.node_of("server_io_flusher")->source()));
  }
  return ok_status();
}

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

Status read_workload(const toml::table& root, const fs::path& file, const LoadOptions& options,
                     WorkloadConfig* workload) {
  WEDGE_TRY(const toml::table* table, subtable(root, "workload", file));
  if (!table) return ok_status();
  workload->line = static_cast<int>(table->source().begin.line);
  TableReader r(*table, "workload", file);
  WEDGE_CHECK(get_kind(r, "kind", &workload->kind, workload_kind_names(), parse_workload_kind));
  WEDGE_CHECK(r.get_int("size_mib", &workload->size_mib, 1, 1024 * 1024));
  WEDGE_CHECK(r.get_bool("verify", &workload->verify));
  WEDGE_CHECK(r.get_string_list("argv", &workload->argv));
  std::vector<std::string> files;
  WEDGE_CHECK(r.get_string_list("files", &files));
  WEDGE_CHECK(r.get_string_list("args", &workload->args));
  std::string job;
  WEDGE_CHECK(r.get_string("job", &job));
  WEDGE_CHECK(r.get_int("writers", &workload->writers, 1, 64));
  WEDGE_CHECK(r.get_bool("same_file", &workload->same_file));
  WEDGE_CHECK(r.get_bool("remount", &workload->remount));
  WEDGE_CHECK(r.get_int("pause_before_verify_s", &workload->pause_before_verify_s, 0, 3600));
  for (const auto& [key, node] : *table) {  // the kind's own numbers: it checks them
    const std::string k(key.str());
    if (!node.is_number() || r.asked(k)) continue;
    double value = 0;
    WEDGE_CHECK(r.get_double(k.c_str(), &value, -1e18, 1e18));
    workload->params.push_back({k, value, node.is_integer()});
  }
  WEDGE_CHECK(r.reject_unknown());
  for (const auto& [key, node] : *table) {
    workload->keys.emplace_back(std::string(key.str()), static_cast<int>(node.source().begin.line));
  }
  fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  for (const std::string& f : files) {
    fs::path p = fs::path(f).is_absolute() ? fs::path(f) : base / f;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      return make_error("{}: [workload] files: {} is not a readable file",
                        where(file, r.node_of("files")->source()), p.string());
    }
    if (!options.allow_outside_files && !inside(p, base)) {
      return make_error(
          "{}: [workload] files: {} is outside the scenario's folder {} (copy it there, or "
          "pass --allow-outside-files)",
          where(file, r.node_of("files")->source()), p.string(), base.string());
    }
    workload->files.push_back(p);
  }
  if (const toml::node* node = r.node_of("job")) {
    fs::path p = fs::path(job).is_absolute() ? fs::path(job) : base / job;
    std::error_code ec;
    if (job.empty() || !fs::is_regular_file(p, ec)) {
      return make_error("{}: [workload] job: {} is not a readable file",
                        where(file, node->source()), p.string());
    }
    if (!options.allow_outside_files && !inside(p, base)) {
      return make_error(
          "{}: [workload] job: {} is outside the scenario's folder {} (copy it there, or pass "
          "--allow-outside-files)",
          where(file, node->source()), p.string(), base.string());
    }
    workload->job = p;
  }
  return ok_status();
}

Status read_memory(const toml::table& root, const fs::path& file, Scenario* s) {
  WEDGE_TRY(const toml::table* table, subtable(root, "memory", file));
  if (!table) return ok_status();
  MemoryConfig& m = s->memory;
  m.line = static_cast<int>(table->source().begin.line);
  TableReader r(*table, "memory", file);
  WEDGE_CHECK(r.get_int("max_mib", &m.max_mib, 1, 1024 * 1024));
  WEDGE_CHECK(r.get_int("high_mib", &m.high_mib, 1, 1024 * 1024));
  WEDGE_CHECK(r.get_int("swap_max_mib", &m.swap_max_mib, 0, 1024 * 1024));
  WEDGE_CHECK(r.get_int("balloon_mib", &m.balloon_mib, 16, 65536));
  WEDGE_CHECK(r.get_double("balloon_at_s", &m.balloon_at_s, 0, 7 * 24 * 3600));
  WEDGE_CHECK(r.reject_unknown());
  if (m.balloon_mib >= s->guest.memory_mib) {
    return make_error("{}: [memory] balloon_mib = {} must be below [guest] memory_mib = {}",
                      where(file, r.node_of("balloon_mib")->source()), m.balloon_mib,
                      s->guest.memory_mib);
  }
  if (r.node_of("balloon_at_s") && m.balloon_mib == 0) {
    return make_error("{}: [memory] balloon_at_s needs balloon_mib",
                      where(file, r.node_of("balloon_at_s")->source()));
  }
  return ok_status();
}

// [sysctl] keys as written ("vm.dirty_ratio" = 5, or vm.dirty_ratio = 5 which TOML nests).
Status read_sysctl(const toml::table& root, const fs::path& file, Scenario* s) {
  WEDGE_TRY(const toml::table* table, subtable(root, "sysctl", file));
  if (!table) return ok_status();
  std::vector<std::pair<std::string, const toml::node*>> flat;
  for (const auto& [key, node] : *table) {
    if (const toml::table* nested = node.as_table()) {
      for (const auto& [sub, subnode] : *nested) {
        flat.emplace_back(fmt::format("{}.{}", key.str(), sub.str()), &subnode);
      }
    } else {
      flat.emplace_back(std::string(key.str()), &node);
    }
  }
  for (const auto& [key, node] : flat) {
    const std::string at = where(file, node->source());
    if (!is_allowed_sysctl(key)) {
      return make_error("{}: [sysctl] {}: not an allowed key (allowed: {})", at, key,
                        fmt::join(allowed_sysctls(), ", "));
    }
    // Only an integer node: toml++ converts a float to int64 with UB when out of range.
    const int64_t value = node->is_integer() ? node->value<int64_t>().value_or(-1) : -1;
    if (value < 0) return make_error("{}: [sysctl] {} must be a non-negative integer", at, key);
    s->sysctl.push_back({key, value, static_cast<int>(node->source().begin.line)});
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
  WEDGE_CHECK(r.get_bool("recover", &limits->recover));
  WEDGE_CHECK(r.get_bool("timeout_is_failure", &limits->timeout_is_failure));
  return r.reject_unknown();
}

// A scenario name from a file name: every run of other characters becomes one '-'.
std::string name_from_file(const fs::path& file) {
  std::string name;
  for (char c : file.stem().string()) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    if (ok && static_cast<unsigned char>(c) < 0x80) {
      name += c;
    } else if (name.empty() || name.back() != '-') {
      name += '-';
    }
  }
  size_t first = name.find_first_not_of('-');
  if (first == std::string::npos) return "scenario";
  return name.substr(first, name.find_last_not_of('-') - first + 1);
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view text, const fs::path& source_name,
                                const LoadOptions& options) {
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
  WEDGE_CHECK(
      top.reject_unknown({"guest", "storage", "workload", "limits", "memory", "sysctl", "fault"}));
  if (s.name.empty()) s.name = name_from_file(source_name);
  for (char c : s.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      const toml::node* name = root.get("name");
      return make_error("{}: name \"{}\" may only hold letters, digits, '-', '_' and '.'",
                        name ? where(source_name, name->source()) : source_name.string(), s.name);
    }
  }
  WEDGE_CHECK(read_guest(root, source_name, &s.guest));
  WEDGE_CHECK(read_storage(root, source_name, &s.storage));
  WEDGE_CHECK(read_workload(root, source_name, options, &s.workload));
  WEDGE_CHECK(read_limits(root, source_name, &s.limits));
  WEDGE_CHECK(read_memory(root, source_name, &s));
  WEDGE_CHECK(read_sysctl(root, source_name, &s));
  WEDGE_CHECK(read_faults(root, source_name, &s));
  if (options.require_workload && !root.get("workload")) {
    return make_error("{}: no [workload] table{}: a scenario needs one (kind: {})",
                      source_name.string(), root.empty() ? " (the file is empty)" : "",
                      fmt::join(workload_kind_names(), ", "));
  }
  return s;
}

Result<Scenario> load_scenario(const fs::path& path, const LoadOptions& options) {
  auto text = read_file(path);
  if (!text) return text.error().context("reading scenario");
  LoadOptions whole = options;
  whole.require_workload = true;
  return parse_scenario(*text, path, whole);
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
  // Only when set, so that a scenario as run reads as before the key existed.
  if (s.guest.nic != NicModel::kVirtio) guest.insert("nic", name_of(s.guest.nic));
  if (!s.guest.packages.empty()) {
    toml::array packages;
    for (const auto& p : s.guest.packages) packages.push_back(p);
    guest.insert("packages", std::move(packages));
  }
  toml::table storage{{"transport", name_of(s.storage.transport)},
                      {"size_mib", s.storage.size_mib},
                      {"use", name_of(s.storage.use)},
                      {"fs", s.storage.fs},
                      {"mount_options", s.storage.mount_options},
                      {"raid1", s.storage.raid1},
                      {"server_io_flusher", s.storage.server_io_flusher}};
  if (!s.storage.server.empty()) storage.insert("server", s.storage.server);
  if (!s.storage.server_binary.empty()) storage.insert("server_binary", s.storage.server_binary);
  // Written when not the default, so that scenarios without a server guest read as before.
  if (s.storage.server_memory_mib != StorageConfig{}.server_memory_mib) {
    storage.insert("server_memory_mib", s.storage.server_memory_mib);
  }
  // The workload's keys as the file gave them (the kind's defaults apply again on load).
  toml::table workload{{"kind", name_of(s.workload.kind)}};
  auto strings = [](const auto& list) {
    toml::array a;
    for (const auto& item : list) a.push_back(fmt::format("{}", item));
    return a;
  };
  for (const auto& [key, line] : s.workload.keys) {
    const WorkloadConfig& w = s.workload;
    if (key == "size_mib") workload.insert(key, w.size_mib);
    if (key == "verify") workload.insert(key, w.verify);
    if (key == "argv") workload.insert(key, strings(w.argv));
    if (key == "files") {
      std::vector<std::string> files;
      for (const auto& f : w.files) files.push_back(f.string());
      workload.insert(key, strings(files));
    }
    if (key == "args") workload.insert(key, strings(w.args));
    if (key == "job") workload.insert(key, w.job.string());
    if (key == "writers") workload.insert(key, w.writers);
    if (key == "same_file") workload.insert(key, w.same_file);
    if (key == "remount") workload.insert(key, w.remount);
    if (key == "pause_before_verify_s") workload.insert(key, w.pause_before_verify_s);
    for (const ParamValue& p : w.params) {
      if (p.key != key) continue;
      if (p.integer) {
        workload.insert(key, static_cast<int64_t>(p.value));
      } else {
        workload.insert(key, p.value);
      }
    }
  }
  toml::table memory;
  if (s.memory.max_mib) memory.insert("max_mib", s.memory.max_mib);
  if (s.memory.high_mib) memory.insert("high_mib", s.memory.high_mib);
  if (s.memory.swap_max_mib >= 0) memory.insert("swap_max_mib", s.memory.swap_max_mib);
  if (s.memory.balloon_mib) {
    memory.insert("balloon_mib", s.memory.balloon_mib);
    memory.insert("balloon_at_s", s.memory.balloon_at_s);
  }
  toml::table sysctl;
  for (const SysctlSetting& set : s.sysctl) sysctl.insert(set.key, set.value);
  toml::table limits{{"duration_s", s.limits.duration_s},
                     {"stall_s", s.limits.stall_s},
                     {"oom_ok", s.limits.oom_ok},
                     {"recover", s.limits.recover},
                     {"timeout_is_failure", s.limits.timeout_is_failure}};
  toml::table root{{"name", s.name},     {"description", s.description}, {"guest", guest},
                   {"storage", storage}, {"workload", workload},         {"limits", limits}};
  if (!memory.empty()) root.insert("memory", std::move(memory));
  if (!sysctl.empty()) root.insert("sysctl", std::move(sysctl));
  if (!s.faults.empty()) {
    toml::array faults;
    for (const FaultConfig& f : s.faults) faults.push_back(fault_to_toml(f));
    root.insert("fault", std::move(faults));
  }
  std::ostringstream out;
  out << root << "\n";
  return out.str();
}

}  // namespace wedge::config
