// Why olddefconfig dropped an option: finds `config SYM` in a source tree's Kconfig files,
// reads its `depends on` lines (and the `if` blocks around it), and names the symbols of
// those expressions that the final config leaves unset.
//
//   WEDGE_TRY(KconfigDefinitions defs, load_kconfig_definitions(tree));
//   std::string why = explain_dropped(dropped, defs, final_config);
//   // "CONFIG_BLK_DEV_NBD=m (nbd.config:3) is n after olddefconfig: depends on BLK_DEV && NET
//   //  (drivers/block/Kconfig:246); unset there: BLK_DEV"
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness/kernel/kconfig.h"
#include "harness/util/result.h"

namespace wedge::kernel {

// One `config SYM` entry's dependency expressions, with where they were written.
struct KconfigDependency {
  std::string expression;  // "BLK_DEV && NET"
  std::string origin;      // "drivers/block/Kconfig:246"
};

// Per symbol, the dependencies of each of its definitions (a symbol can be defined twice).
using KconfigDefinitions = std::map<std::string, std::vector<KconfigDependency>>;

// Reads every Kconfig* file of tree (arch/ only for x86) and collects the definitions.
[[nodiscard]] Result<KconfigDefinitions> load_kconfig_definitions(
    const std::filesystem::path& tree);

// Adds the definitions in one Kconfig file's text (relative_path names it in origins).
void add_kconfig_definitions(std::string_view text, const std::string& relative_path,
                             KconfigDefinitions& into);

// The symbols of a dependency expression that keep it false under final_config: those used
// plainly and unset (n or absent), or m where y is needed, and those negated (!SYM) but set.
[[nodiscard]] std::vector<std::string> blocking_symbols(std::string_view expression,
                                                        const KconfigFile& final_config,
                                                        bool need_y);

// One line saying what was dropped and which dependency dropped it.
[[nodiscard]] std::string explain_dropped(const DroppedOption& dropped,
                                          const KconfigDefinitions& definitions,
                                          const KconfigFile& final_config);

}  // namespace wedge::kernel
