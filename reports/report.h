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
#include <vector>

#include "harness/util/result.h"

namespace wedge::reports {

// The three outcomes never mix: findings (kernel failed), boot failure, infra error.
enum class Verdict {
  kPass,
  kHang,
  kCrash,
  kUnexpectedOom,
  kIoError,
  kWorkloadFailed,  // the user's own command reported failure with no kernel message to blame
  kBootFailure,
  kInfraError,
};

[[nodiscard]] const char* to_string(Verdict verdict);
// 0 pass, 1 the kernel failed (finding or boot failure), 125 could not test.
[[nodiscard]] int exit_code_for(Verdict verdict);

// Tasks with the same state and the same stack, as a kernel developer reads a task dump.
struct StackGroup {
  int count = 0;
  std::string state;                // "D", "R", ...
  std::vector<std::string> tasks;   // "comm:pid"
  std::vector<std::string> frames;  // innermost first
};

struct Finding {
  std::string kind;                  // "hang", "crash", "oom_kill", "io_error", "boot_failure", ...
  std::string title;                 // names the blamed frame where there is one
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
  uint64_t workload_progress_mib = 0;
  std::optional<int> workload_exit_code;
  int workload_signal = 0;
};

struct ServerNumbers {
  std::string name;            // "nbd-server 3.24"
  uint64_t bytes_written = 0;  // wire bytes the guest sent to the server
  uint64_t bytes_read = 0;     // wire bytes the server sent to the guest
  uint64_t connections = 0;
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
  std::string infra_error;  // set for kInfraError
  double boot_s = -1;       // domain start to agent ready (-1: never)
  double run_s = 0;         // whole run, wall clock
  std::string accel;        // "tcg" or "kvm"
  GuestNumbers guest;
  ConsoleNumbers console;
  ServerNumbers server;
  std::string kernel_release;
  std::string kernel_path;    // the kernel booted (in the image cache)
  std::string kernel_source;  // what the user asked for: "default" or their bzImage path
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
