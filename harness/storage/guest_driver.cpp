// Implementation of guest_driver.h: the guest reads behind GuestModuleFacts, and the one
// modprobe call of every transport.
#include "harness/storage/guest_driver.h"

#include <optional>
#include <string>

#include "harness/util/text.h"
#include "vm-images/modules.h"

namespace wedge::storage {

namespace {

// Generous bounds for guest text: a whole Debian modules.dep is under 1 MiB.
constexpr size_t kTableBytes = 4u << 20;
constexpr size_t kReleaseBytes = 256;

std::optional<std::string> read_if_there(GuestOps& guest, const std::string& path, size_t max) {
  auto text = guest.read_file(path, max);
  if (!text) return std::nullopt;
  return std::move(*text);
}

// A folder's entries (`ls -1`) or a /proc table; nullopt when the guest has neither.
std::optional<std::string> read_place(GuestOps& guest, const std::string& where) {
  if (where.starts_with("/proc/")) return read_if_there(guest, where, kTableBytes);
  auto listing = guest.run({"/bin/busybox", "ls", "-1", where});
  if (!listing) return std::nullopt;
  return std::move(*listing);
}

std::string first_line(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  return printable(text);
}

std::string say_built_in(const Driver& driver, const DriverDecision& decision) {
  std::string line = fmt::format("guest: {} is built in ({})", driver.module, decision.evidence);
  if (!driver.params.empty()) line += "; its parameters came on the kernel command line";
  return line;
}

}  // namespace

Result<GuestModuleFacts> read_module_facts(GuestOps& guest, const Driver& driver) {
  GuestModuleFacts facts;
  auto release = guest.read_file("/proc/sys/kernel/osrelease", kReleaseBytes);
  if (!release) return release.error().context("reading the guest kernel's release");
  facts.release = first_line(*release);
  if (auto modules = read_if_there(guest, "/proc/modules", kTableBytes)) {
    facts.loaded = parse_proc_modules(*modules);
  }
  const std::string dir = module_dir(facts.release);
  auto dep = read_if_there(guest, dir + "/modules.dep", kTableBytes);
  auto builtin = read_if_there(guest, dir + "/modules.builtin", kTableBytes);
  if (dep || builtin) {
    auto index = image::parse_module_index(dep.value_or(""), builtin.value_or(""));
    if (!index) return index.error().context(fmt::format("the guest's {}", dir));
    if (dep) {
      facts.loadable.emplace();
      for (const auto& [name, info] : index->modules) facts.loadable->insert(name);
    }
    if (builtin) facts.builtin = std::move(index->builtin);
  }
  if (decide_driver(driver, facts)) return facts;
  for (const std::string& where : places_to_look(driver)) {
    if (auto text = read_place(guest, where)) facts.shown[where] = last_words(*text);
  }
  return facts;
}

Status ensure_driver(GuestOps& guest, const Driver& driver) {
  WEDGE_TRY(GuestModuleFacts facts, read_module_facts(guest, driver));
  WEDGE_TRY(DriverDecision decision, decide_driver(driver, facts));
  switch (decision.state) {
    case DriverState::kLoaded:
      guest.say(fmt::format("guest: {} is loaded already", driver.module));
      return ok_status();
    case DriverState::kBuiltIn:
      guest.say(say_built_in(driver, decision));
      return ok_status();
    case DriverState::kLoadable: {
      auto loaded = guest.run(modprobe_argv(driver));
      if (!loaded) return loaded.error().context(fmt::format("loading {}", driver.module));
      return ok_status();
    }
  }
  return ok_status();
}

Status ensure_drivers(GuestOps& guest, const std::vector<Driver>& drivers) {
  for (const Driver& driver : drivers) WEDGE_CHECK(ensure_driver(guest, driver));
  return ok_status();
}

}  // namespace wedge::storage
