// Command-line overrides of matrix axes: KEY=VALUE parsing, checks against the matrix (its
// fault and sysctl sets, the transport kinds, the sysctl allow-list) and application.
#include "harness/config/axis_settings.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <optional>

#include "harness/config/kinds.h"
#include "harness/config/sysctl_keys.h"

namespace wedge::config {

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

template <typename Map>
std::string known_sets(std::vector<std::string> builtin, const Map& sets) {
  for (const auto& [name, unused] : sets) builtin.push_back(name);
  return joined(builtin);
}

std::optional<long long> integer(std::string_view text) {
  long long v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "vm.dirty_ratio=5,vm.swappiness=100" as a sysctl set.
Result<std::vector<std::pair<std::string, std::string>>> inline_sysctls(std::string_view value) {
  std::vector<std::pair<std::string, std::string>> set;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return make_error("{} is not KEY=INTEGER", item);
    std::string key(item.substr(0, eq));
    if (!is_allowed_sysctl(key)) {
      return make_error("{} is not an allowed sysctl (allowed: {})", key,
                        joined(allowed_sysctls()));
    }
    if (!integer(item.substr(eq + 1))) {
      return make_error("{}: the value must be an integer, got \"{}\"", key, item.substr(eq + 1));
    }
    set.emplace_back(key, std::string(item.substr(eq + 1)));
  }
  return set;
}

Status apply_one(Matrix& m, const AxisSetting& s) {
  if (s.key == "kernel") {
    std::error_code ec;
    // A directory is a `wedge kernel build` folder or a built tree, "debian:<release>" a
    // kernel of Debian's archive: the run resolves them.
    if (!is_stock_kernel(s.value) && !s.value.starts_with("debian:") &&
        !std::filesystem::is_regular_file(s.value, ec) &&
        !std::filesystem::is_directory(s.value, ec)) {
      return make_error(
          "kernel {} is neither a file nor a directory (give a bzImage, a `wedge kernel build` "
          "folder, a built tree, \"default\", \"debian-amd64\" or \"debian:<release>\")",
          s.value);
    }
    m.kernels = {s.value};
  } else if (s.key == "memory_mib") {
    auto v = integer(s.value);
    if (!v || *v < 64 || *v > 65536) return make_error("memory_mib must be an integer 64..65536");
    m.memory_mib = {static_cast<int>(*v)};
  } else if (s.key == "transport") {
    if (!parse_transport(s.value)) {
      std::vector<std::string> names;
      for (auto t : kTransportKinds) names.emplace_back(name_of(t));
      return make_error("unknown transport (known: {})", joined(names));
    }
    m.transports = {s.value};
  } else if (s.key == "fault") {
    if (s.value != "scenario" && s.value != "none" && !m.fault_sets.contains(s.value)) {
      return make_error("no fault set {} in {} (known: {})", s.value, m.source.string(),
                        known_sets({"scenario", "none"}, m.fault_sets));
    }
    m.faults = {s.value};
  } else if (s.key == "sysctl") {
    if (s.value.find('=') != std::string::npos) {
      WEDGE_TRY(auto set, inline_sysctls(s.value));
      m.sysctl_sets[s.value] = std::move(set);
    } else if (s.value != "default" && !m.sysctl_sets.contains(s.value)) {
      return make_error("no sysctl set {} in {} (known: {}; or inline: vm.KEY=N,...)", s.value,
                        m.source.string(), known_sets({"default"}, m.sysctl_sets));
    }
    m.sysctls = {s.value};
  }
  return ok_status();
}

}  // namespace

const std::vector<std::string>& axis_setting_keys() {
  static const std::vector<std::string> keys{"kernel", "memory_mib", "transport", "fault",
                                             "sysctl"};
  return keys;
}

Result<AxisSetting> parse_axis_setting(std::string_view text, std::string_view option) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return make_error("{} {}: expected KEY=VALUE (keys: {})", option, text,
                      joined(axis_setting_keys()));
  }
  AxisSetting s{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  const auto& keys = axis_setting_keys();
  if (std::find(keys.begin(), keys.end(), s.key) == keys.end()) {
    return make_error("{} {}: unknown key {} (known: {})", option, text, s.key, joined(keys));
  }
  if (s.value.empty()) return make_error("{} {}: the value is empty", option, text);
  return s;
}

Status apply_axis_settings(Matrix& matrix, const std::vector<AxisSetting>& settings,
                           std::string_view option) {
  for (size_t i = 0; i < settings.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (settings[j].key == settings[i].key) {
        return make_error("{} {}={}: {} is already set to {}", option, settings[i].key,
                          settings[i].value, settings[i].key, settings[j].value);
      }
    }
    Status applied = apply_one(matrix, settings[i]);
    if (!applied) {
      return applied.error().context(
          fmt::format("{} {}={}", option, settings[i].key, settings[i].value));
    }
  }
  return ok_status();
}

std::string describe_settings(const std::vector<AxisSetting>& settings) {
  std::string out;
  for (const auto& s : settings) out += (out.empty() ? "" : " ") + s.key + "=" + s.value;
  return out;
}

size_t axis_size(const Matrix& m, std::string_view key) {
  if (key == "kernel") return m.kernels.size();
  if (key == "memory_mib") return m.memory_mib.size();
  if (key == "transport") return m.transports.size();
  if (key == "fault") return m.faults.size();
  if (key == "sysctl") return m.sysctls.size();
  return 0;
}

}  // namespace wedge::config
