// wedge's kernel config fragments (vm-images/kconfig/<name>.config, one per need) and which
// of them a kernel for wedge wants: base always, each transport's own (its registry entry
// names it), raid1 and the filesystems wedge can make.
//
//   WEDGE_TRY(auto fragments, load_fragments(fragment_dir(), wanted_fragment_names()));
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/kernel/kconfig.h"
#include "harness/util/result.h"

namespace wedge::kernel {

// $WEDGE_KCONFIG_DIR, else the checkout's vm-images/kconfig.
[[nodiscard]] std::filesystem::path fragment_dir();

// "base" first, then the transports' fragments, "raid1", "ext4", "xfs", "btrfs" (no repeats).
[[nodiscard]] std::vector<std::string> wanted_fragment_names();

// Parses dir/<name>.config for each name, in order.
[[nodiscard]] Result<std::vector<KconfigFile>> load_fragments(
    const std::filesystem::path& dir, const std::vector<std::string>& names);

// The fragments with every "m" made "y": a kernel with wedge's drivers built in, the way a
// bisect kernel usually is (no modules to install or load).
[[nodiscard]] std::vector<KconfigFile> built_in(std::vector<KconfigFile> fragments);

// load_fragments of the wanted fragments, built in when builtin is set.
[[nodiscard]] Result<std::vector<KconfigFile>> wanted_fragments(bool builtin);

}  // namespace wedge::kernel
