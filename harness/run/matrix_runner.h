// The matrix scheduler: runs jobs (a cell's scenario file, one repeat each) as child
// `wedge run` processes, N at a time, so one run crashing never takes the matrix down, and
// turns each finished run directory into a summary entry.
//
//   std::vector<run::Job> jobs = run::plan_jobs(cells, files, 3, out);  // repeat-major order
//   auto entries = run::run_jobs(jobs, {.wedge = self, .parallel = 2});
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "harness/config/matrix_file.h"
#include "harness/config/scenario.h"
#include "reports/summary.h"

namespace wedge::run {

struct Job {
  int cell = 0;    // index into the caller's cell list
  int repeat = 1;  // 1-based
  std::filesystem::path scenario_file;
  std::filesystem::path run_dir;        // absolute
  std::string rel_dir;                  // as the summary records it
  int timeout_s = 0;                    // the child is killed after this
  std::vector<std::string> extra_args;  // more `wedge run` options (--accel, --cache, ...)
};

struct RunnerOptions {
  std::filesystem::path wedge;  // the wedge executable the children run
  int parallel = 1;
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

// Jobs for cells x repeats, repeat-major (every cell's first run, then every second run, ...)
// so slow drift of the host spreads over all cells. Run dirs: root/runs/<cell id>/r<k>.
[[nodiscard]] std::vector<Job> plan_jobs(const std::vector<config::Cell>& cells,
                                         const std::vector<std::filesystem::path>& scenario_files,
                                         int repeat, const std::filesystem::path& root);

// Runs every job, `parallel` at a time; entries come back in job order.
[[nodiscard]] std::vector<reports::RunEntry> run_jobs(const std::vector<Job>& jobs,
                                                      const RunnerOptions& options);

// How many guests this host carries at once: one per core (TCG keeps a core busy per vCPU),
// and no more than MemAvailable / (guest memory + 384 MiB of QEMU and server overhead).
[[nodiscard]] int default_parallelism(int guest_memory_mib);

// Writes each cell's scenario as run into root/cells/<id>.toml and returns the paths.
[[nodiscard]] Result<std::vector<std::filesystem::path>> write_cell_files(
    const std::vector<config::Cell>& cells, const std::filesystem::path& root);

// Loads a written cell file with the checks its `wedge run` will make (transport support for
// the faults, uses, kernel and settings), before anything runs. Files outside cells/ are
// allowed, as in the run: expand_matrix held them to their scenario's folder, and the cell
// names them by absolute path.
//   WEDGE_TRY(config::Scenario s, run::load_cell_scenario(root / "cells" / "x.toml"));
[[nodiscard]] Result<config::Scenario> load_cell_scenario(const std::filesystem::path& file);

}  // namespace wedge::run
