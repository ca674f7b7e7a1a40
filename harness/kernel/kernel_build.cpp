// Implementation of kernel_build.h.
#include "harness/kernel/kernel_build.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness/kernel/build_key.h"
#include "harness/kernel/fragments.h"
#include "harness/util/files.h"
#include "harness/util/following_file.h"
#include "harness/util/interrupt.h"
#include "harness/util/process.h"
#include "harness/util/sha256.h"
#include "vm-images/image_cache.h"

namespace wedge::kernel {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
constexpr int kLogTailLines = 40;
constexpr auto kStatusEvery = 2s;
constexpr const char* kBuildRecord = "build.json";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string log_tail(const fs::path& log) {
  auto text = read_file(log);
  if (!text) return "(log unreadable: " + text.error().message() + ")";
  std::string_view t = *text;
  size_t pos = t.size();
  while (pos > 0 && t[pos - 1] == '\n') --pos;
  for (int i = 0; i < kLogTailLines && pos > 0; ++i) {
    pos = t.rfind('\n', pos - 1);
    if (pos == std::string_view::npos) {
      pos = 0;
      break;
    }
  }
  return std::string(t.substr(pos == 0 ? 0 : pos + 1));
}

// Runs make with its output appended to log, reporting compiled objects on status; SIGINT
// stops make's whole process group.
Status run_logged_make(const std::vector<std::string>& argv, const fs::path& log,
                       const BuildRequest& request, Clock::time_point start, int& compiled) {
  WEDGE_TRY(ChildProcess make, ChildProcess::spawn(argv, {.stdout_path = log}));
  FollowingFile output(log);
  std::string partial;
  auto last_status = Clock::now() - kStatusEvery;
  while (true) {
    auto done = make.wait_for(500ms);
    if (interrupted()) {
      make.stop(5s);
      return interruption_error();
    }
    WEDGE_TRY(std::string fresh, output.read(16 << 20));
    partial += fresh;
    size_t last_newline = partial.rfind('\n');
    if (last_newline != std::string::npos) {
      compiled += count_compiled_objects(std::string_view(partial).substr(0, last_newline + 1));
      partial.erase(0, last_newline + 1);
    }
    if (request.status && Clock::now() - last_status >= kStatusEvery) {
      request.status(fmt::format("{} objects compiled | {:.0f} s", compiled, seconds_since(start)));
      last_status = Clock::now();
    }
    if (done) {
      if (done->success()) return ok_status();
      return make_error("{} failed ({}); log {}:\n{}", argv.back(), done->describe(), log.string(),
                        log_tail(log));
    }
  }
}

Status copy_file_to(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("copying {} to {}: {}", from.string(), to.string(), ec.message());
  return ok_status();
}
}  // namespace

int count_compiled_objects(std::string_view whole_lines) {
  int count = 0;
  while (!whole_lines.empty()) {
    size_t end = whole_lines.find('\n');
    std::string_view line = whole_lines.substr(0, end);
    whole_lines.remove_prefix(end == std::string_view::npos ? whole_lines.size() : end + 1);
    if (line.starts_with("  CC ")) ++count;
  }
  return count;
}

bool is_complete_build(const fs::path& dir) {
  std::error_code ec;
  return fs::is_regular_file(dir / kBuildRecord, ec) && fs::is_regular_file(dir / "bzImage", ec);
}

Result<fs::path> kernel_cache_dir(const fs::path& cache_dir) {
  if (!cache_dir.empty()) return fs::absolute(cache_dir);
  WEDGE_TRY(fs::path root, image::cache_root({}));
  return root / "kernel";
}

Result<KernelBuild> build_kernel(const BuildRequest& request) {
  auto start = Clock::now();
  KernelBuild build;
  WEDGE_TRY(fs::path cache, kernel_cache_dir(request.cache_dir));
  WEDGE_TRY(fs::path image_cache, image::cache_root({}));
  fs::path tree = fs::absolute(request.tree).lexically_normal();
  WEDGE_TRY(std::string tree_id, sha256_hex(tree.string()));

  ConfigRequest config;
  config.tree = tree;
  config.base = request.base;
  config.object_dir = cache / "objects" / tree_id.substr(0, 16);
  config.cache_root = image_cache;
  config.step = request.step;
  if (request.use_ccache && find_executable("ccache")) config.make_vars.push_back("CC=ccache gcc");

  // The key is known before any make: the tree, the base and the fragments decide the config.
  if (request.step) request.step("reading the tree's state (git)");
  WEDGE_TRY(TreeState state, read_tree_state(tree));
  WEDGE_TRY(std::vector<KconfigFile> fragments, wanted_fragments(request.builtin));
  WEDGE_TRY(std::string base_text, base_file_text(config));
  BuildKeyInputs inputs{state, describe(request.base) + "\n" + base_text,
                        render_kconfig(wanted_options(fragments)),
                        fmt::format("{}", fmt::join(config.make_vars, " "))};
  WEDGE_TRY(build.key, build_key(inputs));
  build.dir = cache / "builds" / build.key;
  if (is_complete_build(build.dir)) {
    build.cache_hit = true;
    auto release = read_file(build.dir / "kernel.release");
    if (release) build.release = release->substr(0, release->find('\n'));
    build.seconds = seconds_since(start);
    return build;
  }

  WEDGE_TRY(KconfigFile final_config, configure_kernel(config, fragments));
  int jobs =
      request.jobs > 0 ? request.jobs : static_cast<int>(std::thread::hardware_concurrency());
  if (jobs <= 0) jobs = 1;
  fs::path log_dir = cache / "logs";
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return make_error("creating {}: {}", log_dir.string(), ec.message());
  fs::path log = log_dir / (build.key + ".log");
  fs::remove(log, ec);
  if (request.step) {
    request.step(fmt::format("make -j{} in {} (commit {}{}; log {})", jobs,
                             config.object_dir.string(), state.commit.substr(0, 12),
                             state.dirty() ? " + uncommitted changes" : "", log.string()));
  }
  int compiled = 0;
  std::vector<std::string> argv = make_argv(config);
  argv.push_back(fmt::format("-j{}", jobs));
  argv.push_back("all");
  WEDGE_CHECK(run_logged_make(argv, log, request, start, compiled).context("building the kernel"));

  fs::path staging = cache / "builds" / fmt::format("{}.tmp-{}", build.key, ::getpid());
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return make_error("creating {}: {}", staging.string(), ec.message());
  bool modules = final_config.value_of("MODULES") == std::optional<std::string>("y");
  if (modules) {
    if (request.step) request.step("make modules_install");
    std::vector<std::string> install = make_argv(config);
    install.push_back("INSTALL_MOD_PATH=" + (staging / "modules").string());
    install.push_back("INSTALL_MOD_STRIP=1");
    install.push_back("modules_install");
    fs::path install_log = log_dir / (build.key + ".modules_install.log");
    WEDGE_CHECK(run_logged_make(install, install_log, request, start, compiled)
                    .context("installing the modules"));
  }
  const fs::path& obj = config.object_dir;
  WEDGE_CHECK(copy_file_to(obj / "arch/x86/boot/bzImage", staging / "bzImage"));
  WEDGE_CHECK(copy_file_to(obj / "System.map", staging / "System.map"));
  WEDGE_CHECK(copy_file_to(obj / ".config", staging / ".config"));
  WEDGE_CHECK(copy_file_to(obj / "include/config/kernel.release", staging / "kernel.release"));
  WEDGE_CHECK(copy_file_to(log, staging / "build.log"));
  WEDGE_TRY(std::string release, read_file(staging / "kernel.release"));
  build.release = release.substr(0, release.find('\n'));
  build.seconds = seconds_since(start);
  nlohmann::json record = {{"tree", tree.string()},   {"commit", state.commit},
                           {"dirty", state.dirty()},  {"base", describe(request.base)},
                           {"key", build.key},        {"release", build.release},
                           {"modules", modules},      {"objects_compiled", compiled},
                           {"build_s", build.seconds}};
  WEDGE_CHECK(write_file_atomic(staging / kBuildRecord, record.dump(2) + "\n"));
  fs::rename(staging, build.dir, ec);
  if (ec) {
    // Another build of the same key finished first: keep that one.
    fs::remove_all(staging, ec);
    if (!is_complete_build(build.dir)) {
      return make_error("could not move {} into place", staging.string());
    }
  }
  return build;
}

}  // namespace wedge::kernel
