// `wedge help workloads|faults`: argument handling and output; the tables come from
// config/workload_kind.h and config/fault_kind.h.
#include "harness/cli/help_command.h"

#include <fmt/format.h>

#include <memory>
#include <string>

#include "harness/config/fault_kind.h"
#include "harness/config/workload_kind.h"

namespace wedge::cli {

Command add_help_command(CLI::App& parent) {
  auto topic = std::make_shared<std::string>();
  CLI::App* app = parent.add_subcommand(
      "help",
      "Print the kinds a scenario may name, with their keys, types, defaults and what they do: "
      "`workloads` ([workload] kind) or `faults` ([[fault]] kind). Markdown, as in README.md.");
  app->add_option("topic", *topic, "workloads or faults")
      ->required()
      ->check(CLI::IsMember({"workloads", "faults"}));
  return Command{app, [topic] {
                   fmt::print("{}", *topic == "faults" ? config::fault_kinds_markdown()
                                                       : config::workload_kinds_markdown());
                   return kExitPass;
                 }};
}

}  // namespace wedge::cli
