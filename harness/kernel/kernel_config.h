// Stage one of a kernel build: a base config (the tree's .config, a make target such as
// defconfig, Debian's cloud kernel config, or a file) with wedge's fragments merged over it,
// made whole by `make olddefconfig` in an object directory, then checked: every option a
// fragment wants must survive, or the error names the option and the dependency that dropped it.
//
//   WEDGE_TRY(ConfigBase base, parse_config_base("defconfig"));
//   WEDGE_TRY(KconfigFile final_config, configure_kernel({tree, base, object_dir, make_vars}));
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "harness/kernel/kconfig.h"
#include "harness/util/result.h"

namespace wedge::kernel {

enum class BaseKind { kTree, kMakeTarget, kDebianCloud, kFile };

struct ConfigBase {
  BaseKind kind = BaseKind::kMakeTarget;
  std::string target = "defconfig";  // kMakeTarget: defconfig, tinyconfig, allnoconfig
  std::filesystem::path file;        // kFile
};

// "tree", "defconfig", "tinyconfig", "allnoconfig", "debian-cloud", or a path to a file that
// exists; anything else is an error (a usage error for the CLI).
[[nodiscard]] Result<ConfigBase> parse_config_base(const std::string& spec);

// "defconfig", "tree", "debian-cloud", "file /path".
[[nodiscard]] std::string describe(const ConfigBase& base);

// True when tree looks like a kernel source tree (Makefile, Kconfig, arch/x86).
[[nodiscard]] bool is_kernel_tree(const std::filesystem::path& tree);

// Status lines for long steps ("fetching Debian's cloud kernel config").
using StepFn = std::function<void(const std::string&)>;

struct ConfigRequest {
  std::filesystem::path tree;
  ConfigBase base;
  std::filesystem::path object_dir;  // make O=; created when missing
  // Extra make variables, the same for every make call of a build ("CC=ccache gcc"), so that
  // kbuild does not see a changed compiler between config and build.
  std::vector<std::string> make_vars;
  std::filesystem::path cache_root;  // where Debian's cloud kernel is cached
  StepFn step;
};

// The make argv prefix every call uses: make -C TREE O=DIR VARS...
[[nodiscard]] std::vector<std::string> make_argv(const ConfigRequest& request);

// The base's text, where it is a file (tree, debian-cloud, file); "" for a make target, whose
// content follows from the tree alone. What the build key hashes.
[[nodiscard]] Result<std::string> base_file_text(const ConfigRequest& request);

// Merges, runs olddefconfig, checks; returns the final config (also left in object_dir/.config).
[[nodiscard]] Result<KconfigFile> configure_kernel(const ConfigRequest& request,
                                                   const std::vector<KconfigFile>& fragments);

}  // namespace wedge::kernel
