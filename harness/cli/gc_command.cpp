// `wedge gc [--dry-run] [--cache DIR]`: argument handling and output; the work is run/reaper.h.
#include "harness/cli/gc_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/run/reaper.h"
#include "harness/vm/libvirt/libvirt_backend.h"

namespace wedge::cli {

namespace {

struct GcArgs {
  bool dry_run = false;
  std::string cache;
};

int gc(const GcArgs& args) {
  run::ReapOptions options;
  options.dry_run = args.dry_run;
  auto backend = vm::LibvirtBackend::connect();
  if (backend) {
    options.backend = backend->get();
  } else {
    fmt::print(stderr, "wedge gc: guests not checked: {}\n", backend.error().message());
  }
  options.cache_dirs = run::image_cache_temp_parents(args.cache);
  run::Reaped reaped = run::reap_leftovers(options);
  const char* verb = args.dry_run ? "would remove" : "removed";
  for (const auto& line : reaped.removed) fmt::print("{} {}\n", verb, line);
  for (const auto& line : reaped.kept) fmt::print("kept {}\n", line);
  for (const auto& line : reaped.problems) fmt::print(stderr, "could not remove {}\n", line);
  fmt::print("{} {} leftover(s){}\n", verb, reaped.removed.size(),
             reaped.problems.empty() ? "" : fmt::format(", {} problem(s)", reaped.problems.size()));
  return reaped.problems.empty() && backend ? kExitPass : kExitCannotTest;
}

}  // namespace

Command add_gc_command(CLI::App& parent) {
  auto args = std::make_shared<GcArgs>();
  CLI::App* app = parent.add_subcommand(
      "gc",
      "Remove what wedges killed mid-run left behind: guests, storage servers and their "
      "children, export images and sockets in run directories, temp dirs. Only what belongs to a "
      "wedge process that is gone; guests kept with --keep-wedged stay.\nExit: 0 done, 125 "
      "something could not be removed or libvirt could not be asked.");
  app->add_flag("--dry-run", args->dry_run, "only list what would be removed");
  app->add_option("--cache", args->cache,
                  "image cache directory (default: $WEDGE_CACHE_DIR or ~/.cache/wedge)");
  return Command{app, [args] { return gc(*args); }};
}

}  // namespace wedge::cli
