// Where a command writes: --out as given (refused, exit 2, when the unprivileged QEMU and
// storage users could not reach it), or the command's default folder (./NAME, else
// /var/tmp/NAME with a note on stderr saying why).
//
//   std::optional<std::string> out = resolve_output_root(a.out, "wedge-matrix", "wedge matrix");
//   if (!out) return kExitUsage;
#pragma once

#include <optional>
#include <string>

namespace wedge::cli {

[[nodiscard]] std::optional<std::string> resolve_output_root(const std::string& given,
                                                             const std::string& default_name,
                                                             const std::string& command);

}  // namespace wedge::cli
