// Finds what dead wedges left behind and removes it: guests (owner in their metadata), child
// processes such as storage servers and their forks (owner in their WEDGE_OWNER environment),
// a run's transient files (export images, sockets: its RunLease record) and temp dirs (owner in
// their names, in the temp dir and in the image cache). Never touches what a live wedge owns,
// nor a guest kept with --keep-wedged, nor anything whose owner it cannot tell. Runs on every
// `wedge run` start, in `wedge doctor`, and as `wedge gc`.
//
//   run::ReapOptions o;  o.backend = backend.get();  o.cache_dirs = {cache / "images"};
//   run::Reaped r = run::reap_leftovers(o);
//   for (const auto& line : r.removed) fmt::print("removed {}\n", line);
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/vm/vm.h"

namespace wedge::run {

struct ReapOptions {
  // No backend, or one without vm::LeftoverGuests: guests are not looked at.
  vm::Backend* backend = nullptr;
  std::filesystem::path state_dir;                // empty: default_state_dir()
  std::filesystem::path temp_dir;                 // empty: the system temp dir
  std::vector<std::filesystem::path> cache_dirs;  // where image builds keep their temp dirs
  std::filesystem::path proc = "/proc";
  bool dry_run = false;  // only list what would be removed
};

struct Reaped {
  std::vector<std::string> removed;   // "guest wedge-x (owner pid=42 ... is dead)"
  std::vector<std::string> kept;      // left alone on purpose, and why
  std::vector<std::string> problems;  // could not remove, and why
};

[[nodiscard]] Reaped reap_leftovers(const ReapOptions& options);

// The image cache's folders where builds and downloads keep their temp dirs (cache_dir empty:
// the default cache), for ReapOptions::cache_dirs.
[[nodiscard]] std::vector<std::filesystem::path> image_cache_temp_parents(
    const std::filesystem::path& cache_dir);

}  // namespace wedge::run
