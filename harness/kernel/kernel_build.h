// `wedge kernel build`: configure (kernel_config.h) and build a kernel tree out of tree in
// wedge's cache, keyed by the tree's commit, its uncommitted changes and the config
// (build_key.h). One object directory per tree is reused across commits, so a bisect step
// recompiles only what changed; each key gets a folder with bzImage, System.map, .config,
// kernel.release, modules/lib/modules/<release> (make modules_install) and build.json, written
// last. A complete keyed folder is a cache hit: no make at all.
//
//   WEDGE_TRY(KernelBuild b, build_kernel({.tree = "/src/linux", .jobs = 2}));
//   // b.dir / "bzImage"
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "harness/kernel/kernel_config.h"
#include "harness/util/result.h"

namespace wedge::kernel {

struct BuildRequest {
  std::filesystem::path tree;
  ConfigBase base;
  int jobs = 0;                     // 0: nproc
  std::filesystem::path cache_dir;  // empty: <wedge cache>/kernel
  bool use_ccache = true;           // when ccache is installed
  bool builtin = false;             // wedge's drivers built in (=y), not modules
  StepFn step;                      // one line per stage
  StepFn status;                    // a live line: objects compiled, elapsed
};

struct KernelBuild {
  std::filesystem::path dir;  // the keyed folder
  std::string key;
  std::string release;
  bool cache_hit = false;
  double seconds = 0;
};

// Configures and builds (or finds the cached build). A failed make is an error with the last
// 40 lines of its log and the log's path.
[[nodiscard]] Result<KernelBuild> build_kernel(const BuildRequest& request);

// Number of objects kbuild reports compiling in a chunk of its output ("  CC      mm/vmscan.o",
// "  CC [M]  drivers/block/nbd.o"): whole lines only.
[[nodiscard]] int count_compiled_objects(std::string_view whole_lines);

// True when dir holds a finished build (build.json and bzImage).
[[nodiscard]] bool is_complete_build(const std::filesystem::path& dir);

// The cache folder for kernel builds: cache_dir, or <wedge cache>/kernel.
[[nodiscard]] Result<std::filesystem::path> kernel_cache_dir(
    const std::filesystem::path& cache_dir);

}  // namespace wedge::kernel
