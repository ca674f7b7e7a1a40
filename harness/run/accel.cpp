// Implementation of accel.h: the probe result is cached in <cache>/kvm-probe (one word and
// the time it was taken) so that only the first run of the day pays for the probe.
#include "harness/run/accel.h"

#include <unistd.h>

#include <ctime>

#include "harness/util/files.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

namespace fs = std::filesystem;

namespace {

fs::path cache_root(const fs::path& cache_dir) {
  if (!cache_dir.empty()) return cache_dir;
  if (const char* env = std::getenv("WEDGE_CACHE_DIR"); env && *env) return env;
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/root") / ".cache" / "wedge";
}

}  // namespace

Result<bool> choose_accel(const std::string& accel, vm::Backend& backend,
                          const image::GuestImage& image, const fs::path& cache_dir,
                          Progress& progress) {
  if (accel == "tcg") return false;
  if (accel == "kvm") return true;
  if (accel != "auto") return make_error("--accel must be auto, kvm or tcg, not {}", accel);
  // A backend that cannot probe, or no /dev/kvm the QEMU user may open: nothing a probe boot
  // could show.
  vm::KvmProbe* probe = vm::find<vm::KvmProbe>(backend);
  if (probe == nullptr) return false;
  if (auto usable = probe->kvm_openable(); usable && !*usable) return false;

  fs::path cache = cache_root(cache_dir) / "kvm-probe";
  if (auto text = read_file(cache); text.ok()) {
    long long when = 0;
    char word[8] = {};
    if (std::sscanf(text->c_str(), "%7s %lld", word, &when) == 2 &&
        std::time(nullptr) - when < 24 * 3600) {
      return std::string(word) == "kvm";
    }
  }
  progress.step("probing KVM with a short boot (a /dev/kvm node alone proves nothing)");
  WEDGE_TRY(TempDir scratch, TempDir::create("wedge-kvm-probe"));
  Timeouts t;
  WEDGE_TRY(bool kvm, probe->probe_kvm(image.boot_kernel, image.initrd, scratch.path(), t.kvm_probe)
                          .context("probing KVM"));
  progress.step(kvm ? "KVM works: using it" : "KVM does not boot a guest here: using TCG");
  std::error_code ec;
  fs::create_directories(cache.parent_path(), ec);
  (void)write_file_atomic(cache, fmt::format("{} {}\n", kvm ? "kvm" : "tcg", std::time(nullptr)));
  return kvm;
}

}  // namespace wedge::run
