// Implementation of output_root.h.
#include "harness/cli/output_root.h"

#include <fmt/format.h>

#include "harness/run/run_dir.h"

namespace wedge::cli {

std::optional<std::string> resolve_output_root(const std::string& given,
                                               const std::string& default_name,
                                               const std::string& command) {
  if (!given.empty()) {
    if (Status reachable = run::check_reachable_by_services(given); !reachable) {
      fmt::print(stderr, "{}: --out {}\n", command, reachable.error().message());
      return std::nullopt;
    }
    return given;
  }
  run::DefaultRoot root = run::default_output_root(default_name);
  if (!root.note.empty()) fmt::print(stderr, "{}: {}\n", command, root.note);
  return root.path.string();
}

}  // namespace wedge::cli
