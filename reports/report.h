// The run report: everything one run found and measured, as plain data, and the writer
// interface the formats (json now; junit, html, prometheus later) implement.
//
//   reports::RunReport r;  r.verdict = reports::Verdict::kHang;  ...
//   WEDGE_CHECK(reports::JsonWriter().write(r, run_dir));   // -> run_dir/report.json
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge::reports {

// report.json's schema_version (reports/schema/report.schema.json).
inline constexpr int kReportSchemaVersion = 1;

// The three outcomes never mix: findings (kernel failed), boot failure, infra error.
enum class Verdict {
  kPass,
  kHang,
  kCrash,
  kUnexpectedOom,
  kIoError,
  kDataLoss,        // data the workload wrote read back wrong or short
  kTimeout,         // still making progress when duration_s ended
  kWorkloadFailed,  // the user's own command reported failure with no kernel message to blame
  kBootFailure,
  kInfraError,
};

[[nodiscard]] const char* to_string(Verdict verdict);
// 0 pass, 1 the kernel failed (finding or boot failure), 125 could not test. A timeout is 0
// unless the scenario said it is a failure ([limits] timeout_is_failure).
[[nodiscard]] int exit_code_for(Verdict verdict, bool timeout_is_failure = false);

// Tasks with the same state and the same stack, as a kernel developer reads a task dump.
struct StackGroup {
  int count = 0;
  std::string state;                // "D", "R", ...
  std::vector<std::string> tasks;   // "comm:pid"
  std::vector<std::string> frames;  // innermost first
};

// Where written data went wrong (data_loss, and io_error from the workload's own syscalls).
struct DataDetails {
  std::string file;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string syscall;  // io_error: the syscall that failed
  int error = 0;        // io_error: its errno
  std::string what;     // data_loss: "mismatch" or "short read"; kernel: "write"/"read"
  // An I/O error the kernel reported (console), not the workload: where the failed request
  // was. `file` is the workload's file with that inode when it named one; the offset in the
  // file is not known (writeback fails long after write() returned), so offset and length
  // stay 0 and are not written.
  bool from_kernel = false;
  std::string device;              // "nbd0"
  std::optional<uint64_t> sector;  // 512-byte sector on the device
  std::optional<uint64_t> inode;
  std::optional<uint64_t> block;  // filesystem block (ext4) or buffer block

  // What a workload reported about its own data.
  static DataDetails of_workload(std::string file, uint64_t offset, uint64_t length,
                                 std::string syscall, int error, std::string what) {
    DataDetails d;
    d.file = std::move(file);
    d.offset = offset;
    d.length = length;
    d.syscall = std::move(syscall);
    d.error = error;
    d.what = std::move(what);
    return d;
  }
};

struct Finding {
  std::string kind;   // "hang", "crash", "oom_kill", "io_error", "boot_failure", ...
  std::string title;  // names the blamed frame where there is one
  // Stable across runs for deduplication: kind, report class and blamed frame, with no
  // addresses, pids or numbers ("crash|KASAN: use-after-free Read|consume_skb").
  std::string signature;
  std::string report;                // the title without " in FRAME" ("INFO: task hung")
  std::string blamed;                // the blamed function, "" when none
  std::optional<double> onset_s;     // when the problem began (null: unknown, e.g. plain dmesg)
  std::optional<double> detected_s;  // when wedge concluded it
  std::string evidence;  // what it was concluded from ("console line 431", "heartbeat lost")
  std::vector<std::string> frames;
  std::string subkind;              // hangs: "deadlock" (vCPUs idle) or "livelock" (busy)
  std::optional<double> traces_s;   // when this finding's traces were on disk
  std::vector<std::string> routes;  // trace routes that delivered ("agent", "sysrq-key", ...)
  std::vector<StackGroup> stacks;   // blocked/running tasks grouped, most frequent first
  bool during_fault = false;        // seen while an injected fault was active
  // Live runs: seconds since the console last printed anything, when the finding was made
  // (a wedged kernel usually goes quiet; a livelock may keep printing).
  std::optional<double> console_silent_s;
  std::optional<DataDetails> data;  // data_loss / io_error reported by the workload
  // The guest it happened in: "" the guest under test; a server guest's role ("server").
  std::string guest;
};

// An injected fault as it happened (host run time).
struct FaultRecord {
  std::string kind;
  double start_s = 0;
  std::optional<double> stop_s;
  std::string error;  // why it could not be applied, if it could not
};

// A progress gap that ended by itself before the hang threshold.
struct StallRecord {
  double start_s = 0;
  double duration_s = 0;
  bool during_fault = false;
};

// A stretch in which the guest printed faster than the console flood threshold
// (console/flood_meter.h: 256 KiB/s for at least 5 s).
struct ConsoleFlood {
  double start_s = 0;
  double end_s = 0;
  uint64_t bytes = 0;
};

struct ConsoleNumbers {
  uint64_t bytes = 0;  // console output read during the run
  std::vector<ConsoleFlood> floods;
};

struct GuestNumbers {
  uint64_t pswpout = 0;
  uint64_t pswpin = 0;
  double swap_peak_mib = 0;
  double memfree_min_mib = 0;
  uint64_t samples = 0;
  uint64_t workload_progress_mib = 0;  // the measure's last value when its unit is MiB
  // The workload's last progress measure, whatever its unit ("MiB", "files").
  uint64_t workload_done = 0;
  uint64_t workload_total = 0;
  std::string workload_unit;
  std::string workload_phase;
  double dirty_peak_mib = 0;
  double writeback_peak_mib = 0;
  std::optional<int> workload_exit_code;
  int workload_signal = 0;
  // The workload's own result file, summarised by its kind (fio's JSON); null: none.
  nlohmann::json workload_result;
};

// A server guest of the run (a kernel serving the storage): what it cost.
struct ServerGuestRecord {
  std::string role;  // "server", "server-leg1": its folder in the run directory
  std::string name;  // the libvirt domain
  int memory_mib = 0;
  double boot_s = -1;         // domain start to agent ready
  uint64_t pinned_bytes = 0;  // its pinned image (the run's initrd, the same as the client's)
};

struct ServerNumbers {
  std::string name;            // "nbd-server 3.24"
  uint64_t bytes_written = 0;  // wire bytes the guest sent to the server
  uint64_t bytes_read = 0;     // wire bytes the server sent to the guest
  uint64_t connections = 0;
  std::vector<ServerGuestRecord> guests;  // server guests, when a kernel serves the storage
};

// The cgroup the workload ran in ([memory] caps) and what its memory.events counted.
struct CgroupNumbers {
  bool used = false;
  int max_mib = 0;
  int high_mib = 0;
  int swap_max_mib = -1;
  double current_peak_mib = 0;
  std::vector<std::pair<std::string, uint64_t>> events;  // memory.events at the end
};

// A [sysctl] setting: what the scenario set and what the guest read back.
struct SysctlNumbers {
  std::string key;
  long long set = 0;
  std::string read_back;
};

// The run stopped on SIGINT/SIGTERM/SIGHUP: which, and in which phase ("image build", "boot",
// "workload", "traces", ...).
struct InterruptRecord {
  std::string signal;
  std::string phase;
};

// A guest-fed file in the run directory that reached its cap (util/capped_log.h).
struct LogCut {
  std::string file;
  uint64_t bytes = 0;    // kept
  uint64_t dropped = 0;  // dropped after the cap
};

// The guest's network gate (vm/net_gate.h): frames it let through and refused.
struct NetworkNumbers {
  uint64_t passed_frames = 0;
  uint64_t dropped_frames = 0;
  std::string last_dropped;  // "tcp to 10.0.2.2:22"
};

// wedge itself during the run.
struct HarnessNumbers {
  uint64_t peak_rss_kib = 0;           // getrusage ru_maxrss
  uint64_t ignored_agent_replies = 0;  // answers to requests wedge never sent
};

struct RunReport {
  std::string run_id;
  std::string scenario;
  std::string scenario_file;
  Verdict verdict = Verdict::kInfraError;
  std::string reason;  // one line: why this verdict
  std::vector<Finding> findings;
  std::vector<FaultRecord> faults;
  std::vector<StallRecord> stalls;
  std::string infra_error;     // set for kInfraError
  double boot_s = -1;          // domain start to agent ready (-1: never)
  double domain_start_s = -1;  // of boot_s, libvirt defining and starting the domain (-1: never)
  // Of boot_s and of domain_start_s, the time the host's scheduler kept the boot waiting for a
  // CPU (run/boot_cpu_wait.h); -1: unknown.
  double boot_cpu_wait_s = -1;
  double domain_start_cpu_wait_s = -1;
  double run_s = 0;   // whole run, wall clock
  std::string accel;  // "tcg" or "kvm"
  GuestNumbers guest;
  std::string workload_kind;
  CgroupNumbers cgroup;
  std::vector<SysctlNumbers> sysctl;
  bool timeout_is_failure = false;
  ConsoleNumbers console;
  ServerNumbers server;
  std::string kernel_release;
  std::string kernel_path;    // the kernel booted (in the image cache)
  std::string kernel_source;  // what the user asked for: "default" or their bzImage path
  // What the guest booted: "vmlinux (PVH)" (kernel_path's uncompressed vmlinux, entered through
  // its PVH entry) or "bzImage" (kernel_path itself).
  std::string boot_kernel;
  std::string qemu_version;
  std::string libvirt_version;
  std::string wedge_version;
  std::string image_hash;
  uint64_t initrd_bytes = 0;
  uint64_t pinned_bytes = 0;
  uint64_t agent_rss_kb = 0;
  uint64_t agent_memlocked_kb = 0;
  std::string started_at;  // ISO 8601 UTC
  std::optional<InterruptRecord> interrupted;
  std::vector<std::string> host_events;  // libvirt lost and back, leftovers reaped, ...
  std::vector<LogCut> log_cuts;
  NetworkNumbers network;
  HarnessNumbers harness;
  // Files in the run directory when the report was written (relative paths, report.json too):
  // the report names only files that exist.
  std::vector<std::string> files;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // Writes the report into run_dir (atomically: readers never see half a file).
  [[nodiscard]] virtual Status write(const RunReport& report,
                                     const std::filesystem::path& run_dir) const = 0;
};

// One line for people: "hang (deadlock) - INFO: task hung in folio_wait_writeback (onset 12.0 s,
// detected 14.1 s)".
[[nodiscard]] std::string describe(const Finding& finding);

// One finding as the JSON object report.json and `wedge analyze --json` use.
[[nodiscard]] nlohmann::json finding_json(const Finding& finding);

class JsonWriter : public Writer {
 public:
  [[nodiscard]] Status write(const RunReport& report,
                             const std::filesystem::path& run_dir) const override;
  // The JSON text itself, for tests and `--json` output.
  [[nodiscard]] static std::string render(const RunReport& report);
};

}  // namespace wedge::reports
