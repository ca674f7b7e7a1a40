// The scenario model: what one wedge run does (guest, storage, workload, limits, faults), as
// loaded from a TOML scenario file. Plain data; loading and validation live in load_scenario.h.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/config/kinds.h"
#include "harness/config/params.h"
#include "harness/util/timeouts.h"

namespace wedge::config {

struct GuestConfig {
  int memory_mib = 256;
  int vcpus = 1;
  // "default" (Debian cloud kernel), "debian-amd64" (Debian's generic kernel: has 9p), or a
  // path to a bzImage.
  std::string kernel = "default";
  std::string modules;  // directory holding lib/modules/<release>, for a custom kernel
  std::string cmdline;  // extra kernel arguments
  // The network card the storage traffic goes through; its driver must be in the kernel.
  NicModel nic = NicModel::kVirtio;
  // Debian packages whose programs go into the image with their libraries ("fio").
  std::vector<std::string> packages;
  int packages_line = 0;  // where packages is given (0: not given)
};

struct StorageConfig {
  TransportKind transport = TransportKind::kNbd;
  // Empty: the transport's own default (storage::server_name); each transport declares the
  // names it takes (nbd: "nbd-server" or "nbdkit"; iscsi: "tgtd"; nfs: "nfs-ganesha").
  std::string server;
  std::string server_binary;  // a specific server executable (a patched build); empty: PATH
  int size_mib = 1024;        // per export (each RAID1 leg has this size)
  StorageUse use = StorageUse::kSwap;
  std::string fs = "ext4";    // use = "fs" on a block transport: mkfs.<fs> ("ext4", "xfs", "btrfs")
  std::string mount_options;  // extra mount options for /mnt/wedge ("sync", ...)
  bool raid1 = false;         // two exports, mirrored in the guest as /dev/md0 (nbd, iscsi)
  bool server_io_flusher = false;  // nbd-loopback: the guest's nbd-server runs as PR_SET_IO_FLUSHER
  int server_memory_mib = 256;     // a server guest's RAM (a kernel serving the storage)
  int line = 0;                    // where [storage] starts in the scenario file (0: not given)
};

// Where the storage ends up in the guest, for the workload.
inline constexpr const char* kGuestMountPoint = "/mnt/wedge";

// [workload]: what runs in the guest. Which keys each kind takes, and their defaults, is the
// kind's own business (harness/workload_kinds/); the loader only reads and types them.
struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::kSwapHog;
  int size_mib = 600;  // swap-hog: memory touched; large-file, writers: bytes written in total
  bool verify = true;  // read everything back and check the pattern
  std::vector<std::string> argv;             // command: the program and its arguments (no shell)
  std::vector<std::filesystem::path> files;  // command: host files copied to /extra in the guest
  std::vector<std::string> args;             // mke2fs, fio: options passed through
  std::filesystem::path job;                 // fio: the user's job file, copied to /extra
  int writers = 4;                           // concurrent-writers: processes writing at once
  bool same_file = false;                    // concurrent-writers: interleaved regions of one file
  bool remount = false;           // umount and mount again before verifying (defeats the cache)
  int pause_before_verify_s = 0;  // hold between write and read-back (outside tampering)
  int line = 0;                   // where [workload] starts (0: not given)
  // Numeric keys no other kind reads, as given: the kind declares them (its WorkloadEntry) and
  // checks them; the loader only keeps them.
  std::vector<ParamValue> params;
  // The keys the table gave and their lines, for the kind's own file:line checks.
  std::vector<std::pair<std::string, int>> keys;
  [[nodiscard]] int line_of(std::string_view key) const {
    for (const auto& [k, l] : keys) {
      if (k == key) return l;
    }
    return 0;
  }
};

// [memory]: caps applied before the workload starts. The cgroup ones are set on
// /sys/fs/cgroup/wedge, which the workload runs in; 0 (or -1 for swap) means no cap.
struct MemoryConfig {
  int max_mib = 0;          // memory.max
  int high_mib = 0;         // memory.high
  int swap_max_mib = -1;    // memory.swap.max (0 is a real cap: no swap at all)
  int balloon_mib = 0;      // shrink the guest to this through the balloon ...
  double balloon_at_s = 0;  // ... this long after the workload started, until the end
  int line = 0;
  [[nodiscard]] bool wants_cgroup() const {
    return max_mib > 0 || high_mib > 0 || swap_max_mib >= 0;
  }
};

// One [sysctl] key (vm.* only, from an allow-list), written before the workload starts.
struct SysctlSetting {
  std::string key;  // "vm.dirty_ratio"
  long long value = 0;
  int line = 0;
};

struct LimitsConfig {
  int duration_s = 300;  // hard limit for the whole run
  // No progress this long (guest seconds; Timeouts::stall scales it under TCG) = hang.
  int stall_s = Timeouts::kDefaultStallS;
  bool oom_ok = false;  // is the OOM killer an acceptable outcome?
  bool recover = true;  // after every fault ended, the run must still finish normally
  // A workload still making progress when duration_s ends is verdict "timeout": exit 0
  // unless this says the run had to finish in time.
  bool timeout_is_failure = false;
};

// One [[fault]] table: what to break, when, for how long. Which keys a kind takes is the kind's
// own declaration (harness/config/fault_kinds/, fault_kind.h); params holds them, every one the
// kind declares (given or defaulted), in its declared order. duration_s = 0 means until the end
// of the run.
struct FaultConfig {
  FaultKind kind = FaultKind::kServerStall;
  std::optional<double> at_s = std::nullopt;  // seconds after the workload started; or:
  std::string when;  // a trigger expression (harness/config/trigger.h), checked at load
  double duration_s = 0;
  std::string via;  // the route; set to the kind's default at load ("" for kinds with one route)
  std::vector<ParamValue> params;  // the kind's own keys
  int leg = 0;                     // which export's server (RAID1 has legs 0 and 1); 0 otherwise
  int line = 0;  // where the [[fault]] table starts in the scenario file (0: unknown)

  // A kind's key (0 when it has none of that name): fault.param("error_rate").
  [[nodiscard]] double param(std::string_view key) const {
    for (const ParamValue& p : params) {
      if (p.key == key) return p.value;
    }
    return 0;
  }
  [[nodiscard]] int int_param(std::string_view key) const { return static_cast<int>(param(key)); }
  // Sets (or adds) a key, for faults built in code: f.set_param("delay_ms", 200).
  void set_param(std::string_view key, double value) {
    for (ParamValue& p : params) {
      if (p.key == key) {
        p.value = value;
        return;
      }
    }
    params.push_back({std::string(key), value});
  }
};

struct Scenario {
  std::string name;
  std::string description;
  GuestConfig guest;
  StorageConfig storage;
  WorkloadConfig workload;
  LimitsConfig limits;
  MemoryConfig memory;
  std::vector<SysctlSetting> sysctl;
  std::vector<FaultConfig> faults;  // in file order; indices are the faults' ids in logs
  std::filesystem::path source;     // the file it came from (empty for built-ins given as text)
};

}  // namespace wedge::config
