// Implementation of modules.h: modules.dep parsing and dependency-ordered resolution.
#include "vm-images/modules.h"

#include <algorithm>

#include "harness/util/files.h"
#include "harness/util/text.h"

namespace wedge::image {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (true) {
    s = trim(s);
    if (s.empty()) break;
    auto end = s.find_first_of(" \t");
    words.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return words;
}

// Depth-first walk that emits a module after everything it depends on.
class LoadOrder {
 public:
  explicit LoadOrder(const ModuleIndex& index) : index_(index) {}

  Status visit(const std::string& name, const std::string& needed_by) {
    if (done_.contains(name) || index_.builtin.contains(name)) return ok_status();
    auto found = index_.modules.find(name);
    if (found == index_.modules.end()) {
      if (needed_by.empty()) return make_error("unknown module '{}' (not in modules.dep)", name);
      return make_error("module '{}' (needed by '{}') is not in modules.dep", name, needed_by);
    }
    if (std::find(stack_.begin(), stack_.end(), name) != stack_.end()) {
      std::string cycle;
      for (auto it = std::find(stack_.begin(), stack_.end(), name); it != stack_.end(); ++it) {
        cycle += *it + " -> ";
      }
      return make_error("module dependency cycle: {}{}", cycle, name);
    }
    stack_.push_back(name);
    // modules.dep lists a module's dependencies so that loading them last-to-first works;
    // modprobe does exactly that, and so do we, to load in the same order.
    const auto& deps = found->second.deps;
    for (auto dep = deps.rbegin(); dep != deps.rend(); ++dep) {
      WEDGE_CHECK(visit(*dep, name));
    }
    stack_.pop_back();
    done_.insert(name);
    order_.push_back(found->second.path);
    return ok_status();
  }

  std::vector<std::string> take() { return std::move(order_); }

 private:
  const ModuleIndex& index_;
  std::set<std::string> done_;
  std::vector<std::string> stack_;
  std::vector<std::string> order_;
};

}  // namespace

std::string normalise_module_name(std::string_view name) {
  std::string out(name);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string module_name_from_path(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  auto ko = path.find(".ko");
  if (ko != std::string_view::npos) path = path.substr(0, ko);
  return normalise_module_name(path);
}

Result<ModuleIndex> parse_module_index(std::string_view modules_dep,
                                       std::string_view modules_builtin) {
  ModuleIndex index;
  int line_no = 0;
  for (std::string_view line : lines_of(modules_dep)) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return make_error("modules.dep:{}: expected 'path: dependencies', got '{}'", line_no, line);
    }
    ModuleInfo info;
    info.path = std::string(trim(line.substr(0, colon)));
    for (std::string_view dep : split_words(line.substr(colon + 1))) {
      info.deps.push_back(module_name_from_path(dep));
    }
    std::string name = module_name_from_path(info.path);
    if (index.modules.contains(name)) {
      return make_error("modules.dep:{}: module '{}' listed twice", line_no, name);
    }
    index.modules.emplace(std::move(name), std::move(info));
  }
  for (std::string_view line : lines_of(modules_builtin)) {
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    index.builtin.insert(module_name_from_path(line));
  }
  return index;
}

Result<ModuleIndex> load_module_index(const std::filesystem::path& dir) {
  WEDGE_TRY(std::string dep, read_file(dir / "modules.dep"));
  std::string builtin;
  const bool listed = std::filesystem::exists(dir / "modules.builtin");
  if (listed) {
    WEDGE_TRY(builtin, read_file(dir / "modules.builtin"));
  }
  auto index = parse_module_index(dep, builtin);
  if (!index) return index.error().context(dir.string());
  index->builtin_listed = listed;
  return index;
}

Result<std::vector<std::string>> resolve_load_order(const ModuleIndex& index,
                                                    const std::vector<std::string>& names) {
  LoadOrder order(index);
  for (const std::string& name : names) {
    WEDGE_CHECK(order.visit(normalise_module_name(name), ""));
  }
  return order.take();
}

}  // namespace wedge::image
