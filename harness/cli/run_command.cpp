// `wedge run`: argument handling and the human summary; the run itself is harness/run.
#include "harness/cli/run_command.h"

#include <fmt/format.h>

#include <memory>

#include "harness/cli/matrix_output.h"
#include "harness/cli/output_root.h"
#include "harness/config/load_scenario.h"
#include "harness/config/matrix_file.h"
#include "harness/kernel/kernel_spec.h"
#include "harness/run/matrix_summary.h"
#include "harness/run/run_dir.h"
#include "harness/run/run_matrix.h"
#include "harness/run/run_scenario.h"
#include "harness/util/interrupt.h"
#include "harness/vm/libvirt/libvirt_backend.h"
#include "reports/registry.h"

namespace wedge::cli {

namespace {

struct RunArgs {
  std::string scenario = "nbd-swap-hog";
  std::string out;
  std::string kernel;
  std::string modules;
  std::string accel = "auto";
  std::string cache;
  bool keep_export = false;
  bool quiet = false;
  bool no_dump = false;
  bool nmi = false;
  bool keep_wedged = false;
  int repeat = 0;
  double threshold = 0;
  bool force = false;
  bool allow_outside_files = false;
  std::string pushgateway;
};

int run_repeated(const RunArgs& args, const std::filesystem::path& scenario_file);

int run(const RunArgs& args) {
  auto path = config::find_scenario(args.scenario);
  if (!path) {
    fmt::print(stderr, "wedge run: {}\n", path.error().message());
    return kExitUsage;
  }
  if (args.repeat > 0) return run_repeated(args, *path);
  auto scenario = run::load_run_scenario(*path, {.allow_outside_files = args.allow_outside_files});
  if (!scenario) {
    fmt::print(stderr, "wedge run: {}\n", scenario.error().message());
    return kExitUsage;
  }
  if (!args.kernel.empty()) scenario->guest.kernel = args.kernel;
  if (!args.modules.empty()) scenario->guest.modules = args.modules;
  // A build folder or a built tree becomes its bzImage and staged modules; System.map is
  // found next to the bzImage (or at the top of the tree) when the image is built.
  auto kernel =
      kernel::resolve_kernel_spec(scenario->guest.kernel, scenario->guest.modules, args.cache);
  if (!kernel) {
    fmt::print(stderr, "wedge run: {}\n", kernel.error().message());
    return kExitUsage;
  }
  scenario->guest.kernel = kernel->kernel;
  scenario->guest.modules = kernel->modules_dir.string();
  if (!scenario->guest.modules.empty() && !std::filesystem::is_directory(scenario->guest.modules)) {
    fmt::print(stderr, "wedge run: modules directory {} does not exist\n", scenario->guest.modules);
    return kExitUsage;
  }
  if (!args.out.empty()) {
    Status usable = run::check_out_dir(args.out, args.force);
    if (usable) usable = run::check_reachable_by_services(args.out);
    if (!usable) {
      fmt::print(stderr, "wedge run: {}\n", usable.error().message());
      return kExitUsage;
    }
  }
  install_interrupt_handlers();
  run::RunOptions options;
  options.out_dir = args.out;
  options.accel = args.accel;
  options.cache_dir = args.cache;
  options.keep_export = args.keep_export;
  options.quiet = args.quiet;
  options.memory_dump = !args.no_dump;
  options.nmi_last_resort = args.nmi;
  options.keep_wedged = args.keep_wedged;
  options.force = args.force;
  vm::BackendSource libvirt{
      "libvirt connection", []() -> Result<std::unique_ptr<vm::Backend>> {
        WEDGE_TRY(auto backend, vm::LibvirtBackend::connect().context("connecting to libvirt"));
        return std::unique_ptr<vm::Backend>(std::move(backend));
      }};
  run::RunResult result = run::run_scenario(*scenario, options, run::RunSources::real(libvirt));
  const auto& r = result.report;
  fmt::print("\n{} {}: {}\n", r.scenario, reports::to_string(r.verdict), r.reason);
  for (const auto& f : r.findings) fmt::print("  finding: {}\n", reports::describe(f));
  if (r.boot_s >= 0) {
    fmt::print("  boot {:.1f} s, run {:.1f} s ({}); kernel {}\n", r.boot_s, r.run_s, r.accel,
               r.kernel_release);
    fmt::print("  guest: pswpout {} pages, swap peak {:.0f} MiB, MemFree min {:.0f} MiB\n",
               r.guest.pswpout, r.guest.swap_peak_mib, r.guest.memfree_min_mib);
    fmt::print("  server: {} - guest wrote {:.1f} MiB, read {:.1f} MiB\n", r.server.name,
               static_cast<double>(r.server.bytes_written) / (1 << 20),
               static_cast<double>(r.server.bytes_read) / (1 << 20));
  }
  if (!result.run_dir.empty()) {
    // The derived pages (report.html) next to report.json; `wedge report DIR` redoes them.
    if (Status pages = reports::write_derived_run_reports(r, result.run_dir); !pages) {
      fmt::print(stderr, "wedge run: {}\n", pages.error().message());
    }
    fmt::print("  report: {}/report.json, report.html\n", result.run_dir.string());
    if (!args.pushgateway.empty()) {
      Status pushed = run::push_run_metrics(args.pushgateway, *path, args.kernel, result.run_dir);
      if (!pushed) {
        fmt::print(stderr, "wedge run: {}\n", pushed.error().message());
        return kExitCannotTest;
      }
      fmt::print("  metrics: {}/metrics.prom, pushed to {}\n", result.run_dir.string(),
                 args.pushgateway);
    }
  }
  return reports::exit_code_for(r.verdict, r.timeout_is_failure);
}

// --repeat: the runs are child `wedge run`s of a one-cell matrix; exit codes for git bisect.
int run_repeated(const RunArgs& args, const std::filesystem::path& scenario_file) {
  run::MatrixOptions o;
  std::optional<std::string> root = resolve_output_root("", "wedge-runs", "wedge run");
  o.out = args.out.empty() ? std::filesystem::path(*root) / run::make_run_id()
                           : std::filesystem::path(args.out);
  o.repeat = args.repeat;
  o.parallel = 1;
  o.pushgateway = args.pushgateway;
  if (!args.kernel.empty()) o.kernels = {args.kernel};
  o.run_args = {"--accel", args.accel};
  if (!args.modules.empty()) o.run_args.insert(o.run_args.end(), {"--modules", args.modules});
  if (!args.cache.empty()) o.run_args.insert(o.run_args.end(), {"--cache", args.cache});
  if (args.no_dump) o.run_args.push_back("--no-dump");
  o.log = [&args](const std::string& line) {
    if (!args.quiet) fmt::print("[repeat] {}\n", line);
  };
  config::Matrix matrix = config::matrix_of_scenario(scenario_file);
  matrix.allow_outside_files = args.allow_outside_files;
  auto summary = run::run_matrix(matrix, o);
  if (!summary) {
    fmt::print(stderr, "wedge run: {}\n", summary.error().message());
    return kExitCannotTest;
  }
  print_summary(*summary, o.out);
  int code = run::bisect_exit_code(summary->cells.front(), args.threshold);
  fmt::print("bisect verdict: {} (failure rate threshold {:.2f})\n",
             code == 0   ? "good"
             : code == 1 ? "bad"
                         : "skip",
             args.threshold);
  return code;
}

}  // namespace

Command add_run_command(CLI::App& parent) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* app = parent.add_subcommand(
      "run",
      "Run a scenario: boot a guest under libvirt, put its swap on network storage, run the "
      "workload, watch for hangs and crashes, write a report.\nExit: 0 pass, 1 kernel failed, "
      "2 usage, 125 could not test.");
  app->add_option("scenario", args->scenario,
                  "scenario file, or the name of a built-in one (default: nbd-swap-hog)");
  app->add_option("--out", args->out,
                  "run directory, new or empty (default: ./wedge-runs/<run id>)");
  app->add_option("--kernel", args->kernel,
                  "kernel to test instead of the scenario's: a bzImage, a `wedge kernel build` "
                  "folder, a built tree, \"default\", \"debian-amd64\" or \"debian:<release>\" "
                  "(any linux-image in Debian's archive)");
  app->add_option("--modules", args->modules,
                  "directory holding lib/modules/<release> for --kernel (INSTALL_MOD_PATH)");
  app->add_option("--accel", args->accel, "auto (probe KVM), kvm or tcg")
      ->check(CLI::IsMember({"auto", "kvm", "tcg"}));
  app->add_option("--cache", args->cache, "image cache directory (default: ~/.cache/wedge)");
  app->add_flag("--keep-export", args->keep_export, "keep the storage export file in the run dir");
  app->add_flag("-q,--quiet", args->quiet, "no progress output, only the summary");
  app->add_flag("--no-dump", args->no_dump,
                "do not dump guest memory with the traces of a hang or crash");
  app->add_flag("--nmi-last-resort", args->nmi,
                "when no other route gets stacks out, inject an NMI (unknown_nmi_panic + "
                "panic_print): every task is printed and the guest dies");
  app->add_flag("--keep-wedged", args->keep_wedged,
                "leave a hung or crashed guest running for post-mortem and print how to reach it");
  app->add_option("--repeat", args->repeat,
                  "run R times (child processes, one at a time) and report failures/runs with a "
                  "95% interval; exit 0 good, 1 bad (rate above --threshold), 125 skip (no run "
                  "could test: infra errors or boot failures)")
      ->check(CLI::Range(1, 1000));
  app->add_option("--threshold", args->threshold,
                  "with --repeat: the failure rate above which the kernel is bad (default 0: any "
                  "failure)")
      ->check(CLI::Range(0.0, 1.0));
  app->add_flag("--force", args->force,
                "use --out even if it holds an earlier run's files (they are removed first; any "
                "other file there is still refused)");
  app->add_flag("--allow-outside-files", args->allow_outside_files,
                "let the scenario's [workload] files come from outside the scenario's folder");
  app->add_option("--pushgateway", args->pushgateway,
                  "push the run's metrics.prom (written in the run dir; with --repeat, the "
                  "output root's) to this Pushgateway URL as job=\"wedge\", matrix=<scenario>; "
                  "a failed push exits 125");
  return Command{app, [args] { return run(*args); }};
}

}  // namespace wedge::cli
