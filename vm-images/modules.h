// Kernel module resolution as pure functions over the text of modules.dep and
// modules.builtin: which .ko files to load, dependencies first, for a list of module names.
//
//   WEDGE_TRY(ModuleIndex index, parse_module_index(dep_text, builtin_text));
//   WEDGE_TRY(std::vector<std::string> paths, resolve_load_order(index, {"virtio_net"}));
//   // paths: kernel/drivers/virtio/virtio_ring.ko, ..., kernel/drivers/net/virtio_net.ko
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::image {

// One loadable module as modules.dep describes it.
struct ModuleInfo {
  std::string path;  // relative to lib/modules/<release>, e.g. kernel/fs/nfs/nfs.ko
  std::vector<std::string>
      deps;  // normalised names, in modules.dep order (all of them, transitively)
};

// What a kernel's module tree offers: loadable modules by normalised name, and the built-ins.
struct ModuleIndex {
  std::map<std::string, ModuleInfo> modules;
  std::set<std::string> builtin;
  // False when the tree had no modules.builtin: a name in neither table may still be built in.
  bool builtin_listed = true;
};

// "virtio-net" and "virtio_net" name the same module: normalise_module_name("a-b") == "a_b".
std::string normalise_module_name(std::string_view name);

// The module name of a path from modules.dep or modules.builtin:
// module_name_from_path("kernel/drivers/net/virtio_net.ko.xz") == "virtio_net".
std::string module_name_from_path(std::string_view path);

// Parses modules.dep ("path: dep-path dep-path ...") and modules.builtin (one path a line).
// Errors name the file and line of a malformed entry.
[[nodiscard]] Result<ModuleIndex> parse_module_index(std::string_view modules_dep,
                                                     std::string_view modules_builtin);

// Reads modules.dep and (if present) modules.builtin from dir (a lib/modules/<release>);
// without modules.builtin, builtin_listed is false.
[[nodiscard]] Result<ModuleIndex> load_module_index(const std::filesystem::path& dir);

// The module paths to load, in order, so that names (and everything they depend on) load
// without missing symbols: dependencies first, each path once, built-in modules skipped.
// Matches `modprobe --show-depends` for a single name. Unknown names and cycles are errors.
[[nodiscard]] Result<std::vector<std::string>> resolve_load_order(
    const ModuleIndex& index, const std::vector<std::string>& names);

}  // namespace wedge::image
