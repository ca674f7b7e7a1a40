// A kernel driver that a transport (or a storage use) needs in the guest, as data, and the pure
// decision whether the guest has it loaded, built in, loadable with modprobe, or missing, from
// what the guest shows (read by guest_driver.h). Also the kernel command line that gives a
// built-in driver its parameters.
//
//   const storage::Driver kNbd{"nbd", {"nbds_max=4"}, {{"/proc/devices", "nbd"}}};
//   spec.cmdline += " " + storage::driver_cmdline({kNbd});   // "nbd.nbds_max=4"
//   WEDGE_TRY(storage::DriverDecision d, storage::decide_driver(kNbd, facts));
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::storage {

// A place where the guest shows a driver once it is present, however it got there: a folder
// whose entries name it ("/sys/bus/scsi/drivers" holds "sd") or a /proc table whose lines end
// in its name ("/proc/filesystems" holds "xfs", "/proc/devices" holds "sd"). It is how a
// built-in driver without parameters (so without /sys/module/<module>) is seen on a kernel
// whose module tree, with its modules.builtin, is not in the image.
struct DriverSign {
  std::string where;
  std::string name;
  bool operator==(const DriverSign&) const = default;
};

struct Driver {
  std::string module;  // the module's name: "iscsi_tcp" ("iscsi-tcp" names the same one)
  // Module parameters: modprobe's arguments for a module, `<module>.<param>` on the kernel
  // command line for a built-in driver ("nbds_max=4").
  std::vector<std::string> params = {};
  std::vector<DriverSign> signs = {};
  bool operator==(const Driver&) const = default;
};

enum class DriverState {
  kLoaded,    // a module already loaded (/proc/modules)
  kBuiltIn,   // part of the kernel image: nothing to load
  kLoadable,  // a module in the image's module tree: modprobe loads it
};

struct DriverDecision {
  DriverState state;
  std::string evidence;  // what showed it: "/proc/modules", "modules.builtin", "/sys/module/nbd"
};

// What the guest shows about its kernel's modules. A table the guest does not have is nullopt.
struct GuestModuleFacts {
  std::string release;  // /proc/sys/kernel/osrelease: "6.1.0-57-cloud-amd64"
  // /proc/modules; nullopt: the kernel was built without module support.
  std::optional<std::set<std::string>> loaded;
  // modules.builtin of /lib/modules/<release>; nullopt: the image has none.
  std::optional<std::set<std::string>> builtin;
  // The modules modules.dep lists; nullopt: no module tree at all.
  std::optional<std::set<std::string>> loadable;
  // The names each DriverSign::where (and /sys/module) shows; a place not read is absent.
  std::map<std::string, std::set<std::string>> shown;
};

// Where the guest's module tree is: module_dir("6.1.0-57-cloud-amd64") == "/lib/modules/6.1...".
[[nodiscard]] std::string module_dir(std::string_view release);

// Every place to look for driver beyond the module tables: /sys/module, then its signs.
[[nodiscard]] std::vector<std::string> places_to_look(const Driver& driver);

// Module names of /proc/modules text (the first word of each line): {"nbd", "virtio_net"}.
[[nodiscard]] std::set<std::string> parse_proc_modules(std::string_view text);

// The last word of each line, for `ls -1` output and /proc tables ("nodev\t9p" -> "9p",
// "  8 sd" -> "sd").
[[nodiscard]] std::set<std::string> last_words(std::string_view text);

// Loaded, built in or loadable, checked in that order, then /sys/module/<module> and the
// driver's signs (a driver they show and that is not a loaded module is built in). Missing:
// an error naming the driver and everything that was looked at.
[[nodiscard]] Result<DriverDecision> decide_driver(const Driver& driver,
                                                   const GuestModuleFacts& facts);

// The kernel command line parameters of drivers, for those built in:
// driver_cmdline({{"nbd", {"nbds_max=4"}}, {"raid1"}}) == "nbd.nbds_max=4". A module takes
// the same parameters from modprobe (and ignores them here).
[[nodiscard]] std::string driver_cmdline(const std::vector<Driver>& drivers);

// The drivers' module names, each once, in order: module_names({kNbd, kRaid1}) == {"nbd",
// "raid1"} (what the image needs to carry, unless built in).
[[nodiscard]] std::vector<std::string> module_names(const std::vector<Driver>& drivers);

// The argv that loads driver as a module with its parameters:
// {"/bin/busybox", "modprobe", "nbd", "nbds_max=4"}.
[[nodiscard]] std::vector<std::string> modprobe_argv(const Driver& driver);

}  // namespace wedge::storage
