// `wedge findings`: prints the findings store as a table or JSON.
#include "harness/cli/findings_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/run/findings_store.h"

namespace wedge::cli {

namespace {

struct FindingsArgs {
  std::string root = "wedge-matrix";
  bool json = false;
};

std::string joined(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

int run(const FindingsArgs& a) {
  auto store = run::load_findings_store(a.root);
  if (!store) {
    fmt::print(stderr, "wedge findings: {}\n", store.error().message());
    return kExitUsage;
  }
  if (a.json) {
    fmt::print("{}\n", run::findings_store_json(*store).dump(2));
    return kExitPass;
  }
  for (const auto& f : run::newest_first(*store)) {
    fmt::print("{}\n  seen {} time(s), first {}, last {}\n  kernels: {}\n  scenarios: {}\n",
               f.signature, f.count, f.first_seen, f.last_seen, joined(f.kernels),
               joined(f.scenarios));
    if (!f.examples.empty()) fmt::print("  latest run: {}\n", f.examples.back());
  }
  if (store->findings.empty()) fmt::print("no findings recorded under {}\n", a.root);
  return kExitPass;
}

}  // namespace

Command add_findings_command(CLI::App& parent) {
  auto a = std::make_shared<FindingsArgs>();
  CLI::App* app = parent.add_subcommand(
      "findings",
      "List the findings recorded under an output root, deduplicated by signature, "
      "newest first.");
  app->add_option("root", a->root, "output root holding findings.json (default: ./wedge-matrix)");
  app->add_flag("--json", a->json, "print the store as JSON");
  return Command{app, [a] { return run(*a); }};
}

}  // namespace wedge::cli
