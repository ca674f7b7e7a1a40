// Kernel .config text as data: parse it, merge fragments over a base the way the kernel's
// scripts/kconfig/merge_config.sh does (later values override), and check after olddefconfig
// that every wanted option survived.
//
//   WEDGE_TRY(KconfigFile base, parse_kconfig(base_text, "defconfig"));
//   KconfigFile merged = merge_kconfig(base, fragments);   // fragments: base.config, nbd.config
//   std::vector<DroppedOption> lost = dropped_options(wanted_options(fragments), final_config);
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::kernel {

// One CONFIG_ assignment. "# CONFIG_X is not set" is value "n".
struct KconfigValue {
  std::string symbol;  // without the CONFIG_ prefix: "BLK_DEV_NBD"
  std::string value;   // "y", "m", "n", "0x10", "\"text\"" (as written)
  std::string origin;  // "nbd.config:3", for messages
};

// A config file in order of first appearance; a symbol appears once.
struct KconfigFile {
  std::string name;  // "base.config", "defconfig", "/tmp/my.config"
  std::vector<KconfigValue> values;
  // Value of symbol, or nullopt when the file does not mention it.
  [[nodiscard]] std::optional<std::string> value_of(std::string_view symbol) const;
};

// Parses .config text: CONFIG_X=v lines and "# CONFIG_X is not set" comments; other comments
// and blank lines are skipped. A malformed line is an error naming name:line. A symbol given
// twice keeps the later value (as Kconfig reads it).
[[nodiscard]] Result<KconfigFile> parse_kconfig(std::string_view text, const std::string& name);

// base with each fragment laid over it in order: a later value replaces an earlier one in
// place; new symbols are appended in the order they come.
[[nodiscard]] KconfigFile merge_kconfig(const KconfigFile& base,
                                        const std::vector<KconfigFile>& fragments);

// What the fragments ask for, merged in order (a later fragment wins).
[[nodiscard]] KconfigFile wanted_options(const std::vector<KconfigFile>& fragments);

// .config text: "CONFIG_X=y" lines and "# CONFIG_X is not set" for value n.
[[nodiscard]] std::string render_kconfig(const KconfigFile& file);

// A wanted option the final config does not honour.
struct DroppedOption {
  KconfigValue wanted;
  std::string actual;  // "n" when unset
};

// Compares wanted with final: "n" is honoured by unset or n, "m" by m or y (a kernel without
// modules makes m into y), anything else only by the same value.
[[nodiscard]] std::vector<DroppedOption> dropped_options(const KconfigFile& wanted,
                                                         const KconfigFile& final_config);

}  // namespace wedge::kernel
