// Implementation of ldd.h.
#include "vm-images/ldd.h"

#include <chrono>

#include "harness/util/process.h"

namespace wedge::image {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// "path (0x00007f...)" -> "path"; "(0x...)" alone -> "".
std::string_view strip_address(std::string_view s) {
  auto paren = s.rfind(" (0x");
  if (paren == std::string_view::npos && s.starts_with("(0x")) return {};
  return trim(s.substr(0, paren));
}

}  // namespace

Result<std::vector<std::string>> parse_ldd_output(std::string_view text) {
  std::vector<std::string> libs;
  bool saw_loader = false;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty()) continue;
    if (line.find("not a dynamic executable") != std::string_view::npos ||
        line == "statically linked") {
      return std::vector<std::string>{};
    }
    std::string_view path;
    auto arrow = line.find("=>");
    if (arrow != std::string_view::npos) {
      std::string_view soname = trim(line.substr(0, arrow));
      std::string_view target = trim(line.substr(arrow + 2));
      if (target.starts_with("not found")) {
        return make_error("shared library {} not found", soname);
      }
      path = strip_address(target);
    } else {
      path = strip_address(line);
    }
    // linux-vdso.so.1 (and old-style "linux-vdso.so.1 =>  (0x...)") lives in the kernel.
    if (path.empty() || path.front() != '/') continue;
    if (path == kDynamicLoader) saw_loader = true;
    libs.emplace_back(path);
  }
  if (!libs.empty() && !saw_loader) libs.emplace_back(kDynamicLoader);
  return libs;
}

Result<std::vector<std::string>> shared_libraries(
    const std::filesystem::path& program, const std::vector<std::filesystem::path>& library_path) {
  using namespace std::chrono_literals;
  std::vector<std::string> argv = {"ldd", program.string()};
  if (!library_path.empty()) {
    std::string dirs;
    for (const auto& d : library_path) dirs += (dirs.empty() ? "" : ":") + d.string();
    // env(1) sets the variable for ldd alone; still argv, no shell.
    argv.insert(argv.begin(), {"env", "LD_LIBRARY_PATH=" + dirs});
  }
  WEDGE_TRY(CommandOutput out, run_command(argv, 30s));
  std::string text = out.out + out.err;
  auto libs = parse_ldd_output(text);
  if (!libs) return libs.error().context(fmt::format("ldd {}", program.string()));
  if (!out.status.success() && !libs->empty()) {
    return make_error("ldd {} failed ({})", program.string(), out.status.describe());
  }
  if (!out.status.success() && text.find("not a dynamic executable") == std::string::npos) {
    return make_error("ldd {} failed ({}): {}", program.string(), out.status.describe(),
                      trim(text));
  }
  return libs;
}

}  // namespace wedge::image
