// Reads typed keys out of one TOML table with wedge's file:line errors, remembering which keys
// were asked about so the rest become "unknown key" errors. Internal to harness/config.
//
//   TableReader r(*table, "guest", file);
//   WEDGE_CHECK(r.get_int("memory_mib", &guest->memory_mib, 64, 65536));
//   WEDGE_CHECK(r.reject_unknown());   // "t.toml:4: unknown key 'memroy_mib' in [guest]"
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/util/result.h"

namespace wedge::config {

inline std::string where(const std::filesystem::path& file, const toml::source_region& region) {
  return fmt::format("{}:{}", file.string(), region.begin.line);
}

// Reads typed keys out of one TOML table, remembering the keys it was asked about.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string name, const std::filesystem::path& file)
      : table_(table), name_(std::move(name)), file_(file) {}

  Status get_int(const char* key, int* out, long long min, long long max) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    // Only an integer node: toml++ converts a float to int64 with UB when out of range.
    auto value = node->is_integer() ? node->value<int64_t>() : std::optional<int64_t>();
    if (!node->is_integer() || !value) return type_error(node, key, "an integer");
    if (*value < min || *value > max) {
      return make_error("{}: {}{} = {}: must be between {} and {}", where(file_, node->source()),
                        prefix(), key, *value, min, max);
    }
    *out = static_cast<int>(*value);
    return ok_status();
  }

  // An integer or a float.
  Status get_double(const char* key, double* out, double min, double max) {
    const toml::node* node = find(key);
    if (!node) return ok_status();
    if (!node->is_number()) return type_error(node, key, "a number");
    double value =
        node->is_integer() ? static_cast<double>(*node->value<int64_t>()) : *node->value<double>();
    if (!(value >= min && value <= max)) {
      return make_error("{}: {}{} = {}: must be between {} and {}", where(file_, node->source()),
                        prefix(), key, value, min, max);
    }
    *out = value;
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
  [[nodiscard]] bool asked(const std::string& key) const { return asked_.count(key) != 0; }

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
  const std::filesystem::path& file_;
  std::set<std::string> asked_;
};

}  // namespace wedge::config
