// `wedge merge`: argument handling; the merge is run::merge_into.
#include "harness/cli/merge_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/cli/matrix_output.h"
#include "harness/run/run_matrix.h"

namespace wedge::cli {

namespace {

struct MergeArgs {
  std::vector<std::string> dirs;
  std::string out;
  bool partial = false;
};

int run(const MergeArgs& a) {
  std::vector<std::filesystem::path> dirs(a.dirs.begin(), a.dirs.end());
  auto merged = run::merge_into(dirs, a.out, a.partial);
  if (!merged) {
    fmt::print(stderr, "wedge merge: {}\n", merged.error().message());
    return kExitUsage;
  }
  print_summary(*merged, a.out);
  return summary_exit_code(*merged);
}

}  // namespace

Command add_merge_command(CLI::App& parent) {
  auto a = std::make_shared<MergeArgs>();
  CLI::App* app = parent.add_subcommand(
      "merge",
      "Merge the outputs of `wedge matrix --shard I/N` runs into one output root (summary, "
      "reports, findings).\nExit: like `wedge matrix` for the merged runs; 2 when the shards do "
      "not fit together.");
  app->add_option("dirs", a->dirs, "shard output roots")->required();
  app->add_option("--out", a->out, "merged output root")->required();
  app->add_flag("--allow-partial", a->partial, "merge even when some cells are in no shard");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
