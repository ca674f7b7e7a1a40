// One run's lifecycle: image -> storage server -> guest -> setup -> workload -> monitor ->
// teardown -> report. Never throws; always writes report.json into the run directory, also
// when it fails part way, and tells a kernel failure, a boot failure and an infra error apart.
//
//   run::RunOptions opts;  opts.out_dir = "/tmp/r1";
//   run::RunResult r = run::run_scenario(scenario, opts, run::RunSources::real(backend_source));
//   return reports::exit_code_for(r.report.verdict);
#pragma once

#include <filesystem>
#include <string>

#include "harness/config/load_scenario.h"
#include "harness/config/scenario.h"
#include "harness/run/image_source.h"
#include "harness/vm/vm.h"
#include "reports/report.h"

namespace wedge::run {

struct RunOptions {
  std::filesystem::path out_dir;    // exact run directory; empty: ./wedge-runs/<run id>
  std::string accel = "auto";       // auto | tcg | kvm
  std::filesystem::path cache_dir;  // image cache; empty: default
  bool keep_export = false;         // keep the server's export file after the run
  bool quiet = false;               // no progress output
  bool memory_dump = true;          // dump guest memory with the traces of a hang or crash
  bool nmi_last_resort = false;     // when nothing else got stacks out: NMI + panic_print
  bool keep_wedged = false;         // leave a hung or crashed guest running for post-mortem
  bool force = false;  // out_dir may hold an earlier run's files (they are removed first)
  // Remove what dead wedges left behind before booting (reaper.h); unit tests turn it off.
  bool reap_leftovers = true;
};

struct RunResult {
  reports::RunReport report;
  std::filesystem::path run_dir;
};

// Loads a scenario file and checks it against what its transport can do (unsupported faults,
// uses and settings are errors naming the file and line): what every run command loads with.
[[nodiscard]] Result<config::Scenario> load_run_scenario(const std::filesystem::path& path,
                                                         const config::LoadOptions& options = {});

// Where a run's guest and image come from: the CLI passes libvirt's backend and the real
// image builder; unit tests pass a fake VM and a stand-in image. The run sees only vm::Backend.
struct RunSources {
  vm::BackendSource backend;
  ImageSource image;

  [[nodiscard]] static RunSources real(vm::BackendSource backend);
};

[[nodiscard]] RunResult run_scenario(const config::Scenario& scenario, const RunOptions& options,
                                     const RunSources& sources);

// "20261121-133000-ab12": sortable by time, unique enough for concurrent runs.
[[nodiscard]] std::string make_run_id();

}  // namespace wedge::run
