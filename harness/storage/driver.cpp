// Implementation of driver.h: parsing what the guest shows and deciding, without I/O.
#include "harness/storage/driver.h"

#include <fmt/ranges.h>

#include <algorithm>

#include "harness/util/text.h"
#include "vm-images/modules.h"

namespace wedge::storage {

namespace {

constexpr const char* kSysModule = "/sys/module";

bool holds(const std::optional<std::set<std::string>>& names, const std::string& name) {
  return names && names->contains(name);
}

// "no /sys/module/nbd", "no \"sd\" in /proc/devices": what the places showed.
std::vector<std::string> places_not_showing(const Driver& driver, const std::string& name,
                                            const GuestModuleFacts& facts) {
  std::vector<std::string> looked;
  looked.push_back(facts.shown.contains(kSysModule) ? fmt::format("no {}/{}", kSysModule, name)
                                                    : fmt::format("{} unreadable", kSysModule));
  for (const DriverSign& sign : driver.signs) {
    looked.push_back(facts.shown.contains(sign.where)
                         ? fmt::format("no \"{}\" in {}", sign.name, sign.where)
                         : fmt::format("{} unreadable", sign.where));
  }
  return looked;
}

// Why modprobe has nothing to load, in the words of the user who can change it.
std::string why_not_loadable(const std::string& name, const GuestModuleFacts& facts) {
  const std::string dir = module_dir(facts.release);
  if (!facts.loaded) return "the kernel has no module support (no /proc/modules)";
  if (!facts.loadable) {
    return fmt::format(
        "the image has no module tree ({} is missing): give --modules the kernel's "
        "INSTALL_MOD_PATH, or build the driver in",
        dir);
  }
  return fmt::format("{}/modules.dep has no module {}", dir, name);
}

}  // namespace

std::string module_dir(std::string_view release) { return fmt::format("/lib/modules/{}", release); }

std::vector<std::string> places_to_look(const Driver& driver) {
  std::vector<std::string> places = {kSysModule};
  for (const DriverSign& sign : driver.signs) {
    if (std::find(places.begin(), places.end(), sign.where) == places.end()) {
      places.push_back(sign.where);
    }
  }
  return places;
}

std::set<std::string> parse_proc_modules(std::string_view text) {
  std::set<std::string> names;
  for (std::string_view line : lines_of(text)) {
    auto end = line.find_first_of(" \t");
    std::string_view name = line.substr(0, end);
    if (!name.empty()) names.insert(image::normalise_module_name(name));
  }
  return names;
}

std::set<std::string> last_words(std::string_view text) {
  std::set<std::string> words;
  for (std::string_view line : lines_of(text)) {
    line = trim_end(line, " \t\r");
    if (line.empty()) continue;
    auto start = line.find_last_of(" \t");
    words.insert(std::string(start == std::string_view::npos ? line : line.substr(start + 1)));
  }
  return words;
}

Result<DriverDecision> decide_driver(const Driver& driver, const GuestModuleFacts& facts) {
  const std::string name = image::normalise_module_name(driver.module);
  const std::string dir = module_dir(facts.release);
  if (holds(facts.loaded, name)) return DriverDecision{DriverState::kLoaded, "/proc/modules"};
  if (holds(facts.builtin, name)) {
    return DriverDecision{DriverState::kBuiltIn, dir + "/modules.builtin"};
  }
  if (facts.loaded && holds(facts.loadable, name)) {
    return DriverDecision{DriverState::kLoadable, dir + "/modules.dep"};
  }
  if (auto sys = facts.shown.find(kSysModule);
      sys != facts.shown.end() && sys->second.contains(name)) {
    return DriverDecision{DriverState::kBuiltIn, fmt::format("{}/{}", kSysModule, name)};
  }
  for (const DriverSign& sign : driver.signs) {
    auto shown = facts.shown.find(sign.where);
    if (shown != facts.shown.end() && shown->second.contains(sign.name)) {
      return DriverDecision{DriverState::kBuiltIn,
                            fmt::format("\"{}\" in {}", sign.name, sign.where)};
    }
  }
  std::vector<std::string> not_built_in;
  not_built_in.push_back(facts.builtin ? fmt::format("not in {}/modules.builtin", dir)
                                       : fmt::format("no {}/modules.builtin", dir));
  for (std::string& place : places_not_showing(driver, name, facts)) {
    not_built_in.push_back(std::move(place));
  }
  return make_error("driver {} is not in kernel {}: not built in ({}), and no module to load: {}",
                    name, facts.release, fmt::join(not_built_in, "; "),
                    why_not_loadable(name, facts));
}

std::string driver_cmdline(const std::vector<Driver>& drivers) {
  std::vector<std::string> params;
  for (const Driver& driver : drivers) {
    const std::string name = image::normalise_module_name(driver.module);
    for (const std::string& p : driver.params) params.push_back(name + "." + p);
  }
  return fmt::format("{}", fmt::join(params, " "));
}

std::vector<std::string> module_names(const std::vector<Driver>& drivers) {
  std::vector<std::string> names;
  for (const Driver& driver : drivers) {
    if (std::find(names.begin(), names.end(), driver.module) == names.end()) {
      names.push_back(driver.module);
    }
  }
  return names;
}

std::vector<std::string> modprobe_argv(const Driver& driver) {
  std::vector<std::string> argv = {"/bin/busybox", "modprobe",
                                   image::normalise_module_name(driver.module)};
  argv.insert(argv.end(), driver.params.begin(), driver.params.end());
  return argv;
}

}  // namespace wedge::storage
