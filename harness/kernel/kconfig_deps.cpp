// Implementation of kconfig_deps.h.
#include "harness/kernel/kconfig_deps.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "harness/util/files.h"

namespace wedge::kernel {

namespace fs = std::filesystem;

namespace {
// Keywords that end a config entry's attribute block.
constexpr std::string_view kEntryEnders[] = {
    "config", "menuconfig", "choice",  "endchoice", "menu",    "endmenu",  "if",
    "endif",  "source",     "rsource", "osource",   "comment", "mainmenu", "orsource"};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view first_word(std::string_view line) {
  size_t end = line.find_first_of(" \t");
  return line.substr(0, end);
}

std::string_view after_word(std::string_view line) {
  size_t end = line.find_first_of(" \t");
  return end == std::string_view::npos ? std::string_view() : trim(line.substr(end));
}

// Drops a trailing "# comment" (Kconfig has no '#' inside expressions, only in strings).
std::string_view strip_comment(std::string_view line) {
  size_t hash = line.find('#');
  return hash == std::string_view::npos ? line : trim(line.substr(0, hash));
}

// An expression joined from continuation lines, its runs of blanks made one space.
std::string squeezed(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool blank = c == ' ' || c == '\t';
    if (blank && (out.empty() || out.back() == ' ')) continue;
    out += blank ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool is_symbol_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

std::string current_value(const KconfigFile& config, const std::string& symbol) {
  auto v = config.value_of(symbol);
  return v ? *v : "n";
}
}  // namespace

void add_kconfig_definitions(std::string_view text, const std::string& relative_path,
                             KconfigDefinitions& into) {
  // Joins continuation lines ("\\\n") first, remembering where each logical line started.
  std::vector<std::pair<int, std::string>> lines;
  int line_no = 0;
  std::string pending;
  int pending_start = 0;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view raw = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++line_no;
    if (pending.empty()) pending_start = line_no;
    if (!raw.empty() && raw.back() == '\\') {
      pending += raw.substr(0, raw.size() - 1);
      pending += ' ';
      continue;
    }
    pending += raw;
    lines.emplace_back(pending_start, std::move(pending));
    pending.clear();
  }

  std::vector<KconfigDependency> if_stack;  // enclosing `if EXPR` blocks of this file
  std::string symbol;                       // the entry being read, "" outside one
  std::string entry_origin;
  std::vector<KconfigDependency> entry_deps;
  auto close_entry = [&] {
    if (symbol.empty()) return;
    std::vector<KconfigDependency> deps = if_stack;
    deps.insert(deps.end(), entry_deps.begin(), entry_deps.end());
    auto& slot = into[symbol];
    slot.insert(slot.end(), deps.begin(), deps.end());
    if (deps.empty()) slot.push_back({"", entry_origin});
    symbol.clear();
    entry_deps.clear();
  };
  for (const auto& [number, full] : lines) {
    std::string_view line = strip_comment(trim(full));
    if (line.empty()) continue;
    std::string_view word = first_word(line);
    bool ends_entry =
        std::find(std::begin(kEntryEnders), std::end(kEntryEnders), word) != std::end(kEntryEnders);
    if (ends_entry) close_entry();
    std::string origin = fmt::format("{}:{}", relative_path, number);
    if (word == "config" || word == "menuconfig") {
      symbol = std::string(after_word(line));
      entry_origin = origin;
    } else if (word == "if") {
      if_stack.push_back({squeezed(after_word(line)), origin});
    } else if (word == "endif") {
      if (!if_stack.empty()) if_stack.pop_back();
    } else if (!symbol.empty() && word == "depends") {
      std::string_view rest = after_word(line);
      if (first_word(rest) == "on") entry_deps.push_back({squeezed(after_word(rest)), origin});
    }
  }
  close_entry();
}

Result<KconfigDefinitions> load_kconfig_definitions(const fs::path& tree) {
  KconfigDefinitions definitions;
  std::error_code ec;
  fs::recursive_directory_iterator it(tree, fs::directory_options::skip_permission_denied, ec);
  if (ec) return make_error("reading {}: {}", tree.string(), ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return make_error("reading {}: {}", tree.string(), ec.message());
    const fs::path& path = it->path();
    fs::path relative = path.lexically_relative(tree);
    if (it->is_directory()) {
      std::string top = relative.begin()->string();
      bool other_arch = it.depth() == 1 && top == "arch" && path.filename() != "x86";
      if (path.filename() == ".git" || other_arch) it.disable_recursion_pending();
      continue;
    }
    if (!path.filename().string().starts_with("Kconfig")) continue;
    WEDGE_TRY(std::string text, read_file(path));
    add_kconfig_definitions(text, relative.string(), definitions);
  }
  return definitions;
}

std::vector<std::string> blocking_symbols(std::string_view expression,
                                          const KconfigFile& final_config, bool need_y) {
  std::vector<std::string> blocking;
  size_t i = 0;
  while (i < expression.size()) {
    if (expression[i] == '"') {  // a string constant
      size_t close = expression.find('"', i + 1);
      i = close == std::string_view::npos ? expression.size() : close + 1;
      continue;
    }
    if (expression[i] == '$') {  // a $(macro call): not a symbol
      size_t close = expression.find(')', i);
      i = close == std::string_view::npos ? expression.size() : close + 1;
      continue;
    }
    if (!is_symbol_char(expression[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < expression.size() && is_symbol_char(expression[i])) ++i;
    std::string symbol(expression.substr(start, i - start));
    if (symbol == "y" || symbol == "m" || symbol == "n" || (symbol[0] >= '0' && symbol[0] <= '9')) {
      continue;
    }
    size_t before = expression.find_last_not_of(" \t(", start == 0 ? 0 : start - 1);
    bool negated = start > 0 && before != std::string_view::npos && expression[before] == '!';
    std::string value = current_value(final_config, symbol);
    bool blocks = negated ? value != "n" : (value == "n" || (need_y && value == "m"));
    if (blocks && std::find(blocking.begin(), blocking.end(), symbol) == blocking.end()) {
      blocking.push_back(negated ? fmt::format("{} (set, needed unset)", symbol)
                                 : fmt::format("{}{}", symbol, value == "m" ? "=m" : ""));
    }
  }
  return blocking;
}

std::string explain_dropped(const DroppedOption& dropped, const KconfigDefinitions& definitions,
                            const KconfigFile& final_config) {
  const KconfigValue& w = dropped.wanted;
  std::string head = fmt::format("CONFIG_{}={} ({}) is {} after olddefconfig", w.symbol, w.value,
                                 w.origin, dropped.actual);
  auto it = definitions.find(w.symbol);
  if (it == definitions.end()) {
    return head + ": no `config " + w.symbol +
           "` in this tree's Kconfig files (renamed or removed)";
  }
  bool need_y = w.value == "y";
  std::vector<std::string> reasons;
  for (const KconfigDependency& dep : it->second) {
    if (dep.expression.empty()) continue;
    std::vector<std::string> blocking = blocking_symbols(dep.expression, final_config, need_y);
    if (blocking.empty()) continue;
    reasons.push_back(fmt::format("depends on {} ({}); unset there: {}", dep.expression, dep.origin,
                                  fmt::join(blocking, ", ")));
  }
  if (reasons.empty()) {
    return head + fmt::format(
                      ": its dependencies are met ({}); it may have no prompt (set only "
                      "by `select`) or lose a `choice`",
                      it->second.front().origin);
  }
  return head + ": " + fmt::format("{}", fmt::join(reasons, "; "));
}

}  // namespace wedge::kernel
