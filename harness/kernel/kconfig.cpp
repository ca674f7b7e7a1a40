// Implementation of kconfig.h.
#include "harness/kernel/kconfig.h"

#include <unordered_map>

#include "harness/util/text.h"

namespace wedge::kernel {

namespace {
constexpr std::string_view kPrefix = "CONFIG_";
constexpr std::string_view kNotSetSuffix = " is not set";

bool is_symbol(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Sets symbol to value in file, in place when present, else appended.
void assign(KconfigFile& file, std::unordered_map<std::string, size_t>& index, KconfigValue v) {
  auto it = index.find(v.symbol);
  if (it != index.end()) {
    file.values[it->second] = std::move(v);
    return;
  }
  index.emplace(v.symbol, file.values.size());
  file.values.push_back(std::move(v));
}

std::unordered_map<std::string, size_t> index_of(const KconfigFile& file) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < file.values.size(); ++i) index.emplace(file.values[i].symbol, i);
  return index;
}
}  // namespace

std::optional<std::string> KconfigFile::value_of(std::string_view symbol) const {
  for (const KconfigValue& v : values) {
    if (v.symbol == symbol) return v.value;
  }
  return std::nullopt;
}

Result<KconfigFile> parse_kconfig(std::string_view text, const std::string& name) {
  KconfigFile file;
  file.name = name;
  std::unordered_map<std::string, size_t> index;
  int line_no = 0;
  for (std::string_view raw : lines_of(text)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty()) continue;
    std::string origin = fmt::format("{}:{}", name, line_no);
    if (line.front() == '#') {
      // "# CONFIG_X is not set" means n; every other comment is ignored.
      std::string_view rest = trim(line.substr(1));
      if (rest.starts_with(kPrefix) && rest.ends_with(kNotSetSuffix)) {
        std::string_view symbol =
            rest.substr(kPrefix.size(), rest.size() - kPrefix.size() - kNotSetSuffix.size());
        if (is_symbol(symbol)) assign(file, index, {std::string(symbol), "n", origin});
      }
      continue;
    }
    size_t eq = line.find('=');
    if (!line.starts_with(kPrefix) || eq == std::string_view::npos) {
      return make_error(
          "{}: expected CONFIG_NAME=value or \"# CONFIG_NAME is not set\", got \"{}\"", origin,
          line);
    }
    std::string_view symbol = line.substr(kPrefix.size(), eq - kPrefix.size());
    if (!is_symbol(symbol)) return make_error("{}: bad symbol name \"{}\"", origin, symbol);
    assign(file, index, {std::string(symbol), std::string(line.substr(eq + 1)), origin});
  }
  return file;
}

KconfigFile merge_kconfig(const KconfigFile& base, const std::vector<KconfigFile>& fragments) {
  KconfigFile merged = base;
  auto index = index_of(merged);
  for (const KconfigFile& fragment : fragments) {
    for (const KconfigValue& v : fragment.values) assign(merged, index, v);
  }
  return merged;
}

KconfigFile wanted_options(const std::vector<KconfigFile>& fragments) {
  KconfigFile wanted;
  wanted.name = "wanted";
  return merge_kconfig(wanted, fragments);
}

std::string render_kconfig(const KconfigFile& file) {
  std::string out;
  for (const KconfigValue& v : file.values) {
    if (v.value == "n") {
      out += fmt::format("# {}{}{}\n", kPrefix, v.symbol, kNotSetSuffix);
    } else {
      out += fmt::format("{}{}={}\n", kPrefix, v.symbol, v.value);
    }
  }
  return out;
}

std::vector<DroppedOption> dropped_options(const KconfigFile& wanted,
                                           const KconfigFile& final_config) {
  auto index = index_of(final_config);
  std::vector<DroppedOption> dropped;
  for (const KconfigValue& w : wanted.values) {
    auto it = index.find(w.symbol);
    std::string actual = it == index.end() ? "n" : final_config.values[it->second].value;
    bool honoured = actual == w.value || (w.value == "m" && actual == "y");
    if (!honoured) dropped.push_back({w, actual});
  }
  return dropped;
}

}  // namespace wedge::kernel
