// `wedge analyze-dump`: the kernel release from the dump's VMCOREINFO, a debug vmlinux (given,
// or fetched from Debian's -dbg package for that release and cached), `crash` for the kernel
// log and the task list, then the console-log analysis on the log. Writes <stem>-kernel.log and
// <stem>-tasks.txt next to the dump (or in --out).
#include "harness/cli/analyze_dump_command.h"

#include <fmt/format.h>

#include <memory>
#include <variant>

#include "harness/cli/analysis_output.h"
#include "harness/detect/analyze.h"
#include "harness/traces/crash_task_list.h"
#include "harness/traces/crash_tool.h"
#include "harness/util/files.h"
#include "vm-images/debian_debug.h"
#include "vm-images/image_cache.h"

namespace wedge::cli {

namespace {

namespace fs = std::filesystem;

struct AnalyzeDumpArgs {
  std::string dump;
  std::string vmlinux;
  std::string out;
  std::string cache;
  bool no_fetch = false;
  bool json = false;
  bool oom_ok = false;
};

void progress(const std::string& line) { fmt::print(stderr, "wedge analyze-dump: {}\n", line); }

// The vmlinux to read the dump with: the user's, or Debian's debug build of the release.
// Usage errors (kExitUsage) and fetch failures (kExitCannotTest) come back as the int.
std::variant<fs::path, int> find_vmlinux(const AnalyzeDumpArgs& args, const std::string& release) {
  if (!args.vmlinux.empty()) {
    std::error_code ec;
    if (!fs::is_regular_file(args.vmlinux, ec)) {
      progress(fmt::format("--vmlinux {}: no such file", args.vmlinux));
      return kExitUsage;
    }
    return fs::path(args.vmlinux);
  }
  image::ImageRequest request;
  request.cache_dir = args.cache;
  auto root = image::cache_root(request);
  if (!root) {
    progress(root.error().message());
    return kExitCannotTest;
  }
  fs::path debug_dir = *root / "debug";
  if (args.no_fetch) {
    auto cached = image::cached_debian_debug_files(release, debug_dir, {.vmlinux = true});
    if (cached) return cached->vmlinux;
    progress(
        fmt::format("{}; pass --vmlinux (a vmlinux with debug info for {}) or drop "
                    "--no-fetch to download {}",
                    cached.error().message(), release, image::debug_package_for(release)));
    return kExitUsage;
  }
  auto files = image::fetch_debian_debug_files(release, debug_dir, {.vmlinux = true}, progress);
  if (!files) {
    progress(fmt::format("{}; pass --vmlinux with a vmlinux built with debug info for {}",
                         files.error().message(), release));
    return kExitCannotTest;
  }
  return files->vmlinux;
}

int analyze_dump(const AnalyzeDumpArgs& args) {
  fs::path dump = args.dump;
  auto release = traces::dump_kernel_release(dump);
  if (!release) {
    progress(release.error().message());
    return kExitUsage;
  }
  auto vmlinux = find_vmlinux(args, *release);
  if (auto* code = std::get_if<int>(&vmlinux)) return *code;
  const fs::path& debug_vmlinux = std::get<fs::path>(vmlinux);

  fs::path out_dir = args.out.empty() ? dump.parent_path() : fs::path(args.out);
  if (out_dir.empty()) out_dir = ".";
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  fs::path log_file = out_dir / (dump.stem().string() + "-kernel.log");
  fs::path tasks_file = out_dir / (dump.stem().string() + "-tasks.txt");

  progress(fmt::format("reading the kernel log of {} ({}) with crash", dump.string(), *release));
  auto log = traces::run_crash(debug_vmlinux, dump, {"log"});
  if (!log) {
    progress(log.error().message());
    return kExitCannotTest;
  }
  if (auto s = write_file_atomic(log_file, *log); !s) {
    progress(s.error().message());
    return kExitCannotTest;
  }
  // Every task and its state, blocked (D) ones first, read from memory even when the guest
  // could no longer print anything.
  auto tasks = traces::run_crash(debug_vmlinux, dump, {std::string(traces::kCrashTaskListCommand)});
  if (tasks) {
    (void)write_file_atomic(tasks_file,
                            traces::format_dump_tasks(traces::parse_crash_task_list(*tasks)));
  } else {
    progress(fmt::format("tasks left out: {}", tasks.error().message()));
  }
  progress(fmt::format("kernel log: {}{}", log_file.string(),
                       tasks ? fmt::format(", tasks: {}", tasks_file.string()) : ""));

  nlohmann::json extra = {{"kernel_release", *release},
                          {"vmlinux", debug_vmlinux.string()},
                          {"kernel_log", log_file.string()}};
  if (tasks) extra["tasks"] = tasks_file.string();
  return print_analysis(detect::analyze_console_log(*log, {.oom_ok = args.oom_ok}), args.json,
                        extra);
}

}  // namespace

Command add_analyze_dump_command(CLI::App& parent) {
  auto args = std::make_shared<AnalyzeDumpArgs>();
  CLI::App* app = parent.add_subcommand(
      "analyze-dump",
      "Read a guest memory dump (traces/<n>/vmcore.kdump of a run) with crash: write the full "
      "kernel log and the state of every task next to it, and report findings in the log as "
      "`wedge analyze` does.\nWithout --vmlinux, Debian's debug symbols for the dump's kernel "
      "(linux-image-<release>-dbg, ~280 MB) are downloaded once into the cache.\nExit: 0 no "
      "findings, 1 findings, 2 not a dump / no vmlinux, 125 crash or the download failed.");
  app->add_option("dump", args->dump, "the memory dump")->required();
  app->add_option("--vmlinux", args->vmlinux, "vmlinux with debug info matching the dump");
  app->add_flag("--no-fetch", args->no_fetch,
                "never download debug symbols; use --vmlinux or the cache only");
  app->add_option("--out", args->out,
                  "where to write the log and tasks (default: beside the dump)");
  app->add_option("--cache", args->cache,
                  "cache directory (default: $WEDGE_CACHE_DIR or ~/.cache/wedge)");
  app->add_flag("--json", args->json, "print {verdict, reason, findings, kernel_log, ...} as JSON");
  app->add_flag("--oom-ok", args->oom_ok, "OOM kills are acceptable, not findings");
  return Command{app, [args] { return analyze_dump(*args); }};
}

}  // namespace wedge::cli
