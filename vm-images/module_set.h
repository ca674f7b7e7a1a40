// The kernel modules of an image: which .ko files go in (boot and on-demand modules with
// their dependencies), the agent's /etc/wedge/modules.load, and a module index generated
// by depmod over exactly those files so that busybox modprobe works in the guest.
//
//   WEDGE_TRY(ModuleSet set, plan_module_set(index, {"virtio_net"}, {"nbd"}));
//   WEDGE_CHECK(add_module_files(tree, modules_dir, release, set));
//   ... hash the tree ...
//   WEDGE_CHECK(add_module_index(tree, modules_dir, release, set, staging));
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "vm-images/image_tree.h"
#include "vm-images/modules.h"

namespace wedge::image {

// Where the agent reads its boot modules from.
inline constexpr char kModulesLoadPath[] = "/etc/wedge/modules.load";

struct BootModule {
  std::string path;    // relative to lib/modules/<release>
  std::string params;  // "max_part=8", or empty
};

struct ModuleSet {
  std::vector<BootModule> boot;    // in load order, dependencies first
  std::vector<std::string> paths;  // every .ko in the image (boot and extra), each once
  // Names asked for that need no file: built in (modules.builtin), or in neither table of a
  // tree without modules.builtin (assumed built in; the guest checks when it loads them).
  std::vector<std::string> built_in;
  std::vector<std::string> assumed_built_in;
  // Optional modules (is_optional_module) this kernel has neither built in nor as a module.
  std::vector<std::string> absent_optional;
};

// Modules wedge uses when the kernel has them and does without otherwise: qemu_fw_cfg (QEMU's
// vmcoreinfo device, so memory dumps name their kernel). A kernel built from a tree may lack
// them; that costs a convenience, not the run.
[[nodiscard]] bool is_optional_module(const std::string& name);

// Resolves boot and extra module names. A boot entry may carry parameters after a space
// ("nbd nbds_max=4"); they go on that module's line in modules.load (a built-in driver takes
// its parameters from the kernel command line instead). A name that is built in carries
// nothing; one in neither table is an error when the tree lists its built-ins, unless the
// module is optional (then it is noted in absent_optional).
[[nodiscard]] Result<ModuleSet> plan_module_set(const ModuleIndex& index,
                                                const std::vector<std::string>& boot,
                                                const std::vector<std::string>& extra);

// modules.load text: one line per boot module, "lib/modules/<release>/<path>[ params]".
std::string format_modules_load(const std::string& release, const std::vector<BootModule>& boot);

// Adds the .ko files and depmod's inputs (modules.builtin, .builtin.modinfo, an
// image-only modules.order) under /lib/modules/<release>.
[[nodiscard]] Status add_module_files(ImageTree& tree, const std::filesystem::path& modules_dir,
                                      const std::string& release, const ModuleSet& set);

// Runs `depmod -b staging release` over a copy of just set's modules and adds what it
// generated (modules.dep, modules.alias, ...) to the tree. staging must outlive the
// archive write, since the tree refers to files in it.
[[nodiscard]] Status add_module_index(ImageTree& tree, const std::filesystem::path& modules_dir,
                                      const std::string& release, const ModuleSet& set,
                                      const std::filesystem::path& staging);

}  // namespace wedge::image
