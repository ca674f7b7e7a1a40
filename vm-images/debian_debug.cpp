// Implementation of debian_debug.h: `ar x` the .deb's data.tar.xz, then `tar -x` just the
// wanted members (tar stops early for System.map; vmlinux takes ~15 s to decompress).
#include "vm-images/debian_debug.h"

#include <chrono>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/apt.h"
#include "vm-images/image_cache.h"

namespace wedge::image {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kSystemMap = "System.map";
constexpr std::string_view kVmlinux = "vmlinux";

fs::path member(const std::string& release, std::string_view base) {
  return fs::path("./usr/lib/debug/boot") / fmt::format("{}-{}", base, release);
}

Status extract(const fs::path& deb, const fs::path& work, const std::vector<fs::path>& members) {
  WEDGE_TRY(CommandOutput ar, run_in_dir({"ar", "x", deb.string(), "data.tar.xz"}, work, 300s));
  if (!ar.status.success()) {
    return make_error("ar x {} data.tar.xz: {}: {}", deb.filename().string(), ar.status.describe(),
                      ar.err);
  }
  std::vector<std::string> argv = {"tar", "-xJf", "data.tar.xz", "--occurrence=1"};
  for (const auto& m : members) argv.push_back(m.string());
  WEDGE_TRY(CommandOutput tar, run_in_dir(argv, work, 900s));
  std::error_code ec;
  fs::remove(work / "data.tar.xz", ec);
  if (!tar.status.success()) {
    return make_error("tar -x from {}: {}: {}", deb.filename().string(), tar.status.describe(),
                      tar.err);
  }
  return ok_status();
}

}  // namespace

std::string debug_package_for(const std::string& release) {
  return fmt::format("linux-image-{}-dbg", release);
}

Result<DebugFiles> cached_debian_debug_files(const std::string& release, const fs::path& debug_dir,
                                             DebugWanted wanted) {
  fs::path dir = debug_dir / release;
  DebugFiles files{dir / kSystemMap, wanted.vmlinux ? dir / kVmlinux : fs::path()};
  std::error_code ec;
  if (!fs::is_regular_file(files.system_map, ec)) {
    return make_error("no cached System.map for {} in {}", release, dir.string());
  }
  if (wanted.vmlinux && !fs::is_regular_file(files.vmlinux, ec)) {
    return make_error("no cached vmlinux for {} in {}", release, dir.string());
  }
  return files;
}

Result<DebugFiles> fetch_debian_debug_files(const std::string& release, const fs::path& debug_dir,
                                            DebugWanted wanted, const ProgressFn& progress) {
  if (auto cached = cached_debian_debug_files(release, debug_dir, wanted); cached) return cached;
  std::error_code ec;
  fs::create_directories(debug_dir / release, ec);
  if (ec) return make_error("creating {}: {}", (debug_dir / release).string(), ec.message());
  remove_abandoned_temp_dirs(debug_dir);

  std::string package = debug_package_for(release);
  WEDGE_TRY(TempDir work, TempDir::create(".fetch-" + release, debug_dir));
  if (progress) progress(fmt::format("debug symbols: downloading {}", package));
  WEDGE_TRY(fs::path deb, apt_download(package, work.path(), 1800s));
  std::vector<fs::path> members = {member(release, kSystemMap)};
  if (wanted.vmlinux) members.push_back(member(release, kVmlinux));
  if (progress) {
    progress(fmt::format("debug symbols: extracting {}",
                         wanted.vmlinux ? "System.map and vmlinux" : "System.map"));
  }
  WEDGE_CHECK(extract(deb, work.path(), members).context(package));
  // Each file is renamed into place whole, so a cached file is always complete.
  std::vector<std::pair<fs::path, std::string_view>> moves = {{members[0], kSystemMap}};
  if (wanted.vmlinux) moves.emplace_back(members[1], kVmlinux);
  for (const auto& [from, name] : moves) {
    fs::rename(work.path() / from, debug_dir / release / name, ec);
    if (ec) {
      return make_error("{} has no {} ({})", package, from.string(), ec.message());
    }
  }
  return cached_debian_debug_files(release, debug_dir, wanted);
}

}  // namespace wedge::image
