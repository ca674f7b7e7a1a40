// The Workload seam: everything one kind of guest workload is, as a registry entry keyed by
// config::WorkloadKind (workload_registry.h), one file per kind. Its [workload] keys are
// declared in harness/config/workload_kinds/<kind>.cpp (typed, ranged and defaulted at load,
// config/workload_kind.h); here a workload checks them against the rest of the scenario
// (file:line errors), says what the image needs, prepares the guest through GuestOps, gives the
// argv the agent runs, and turns its output lines into the generic progress measure the
// detector and the progress line use.
//
//   const workloads::WorkloadEntry& w = workloads::workload_entry(scenario.workload.kind);
//   image_needs.add(w.image_needs(scenario));
//   WEDGE_TRY(std::vector<std::string> argv, w.argv(scenario, in_use));
//   if (w.parse_progress) if (auto m = w.parse_progress(line)) monitor.moved(*m);
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/agent/progress.h"
#include "harness/config/scenario.h"
#include "harness/storage/guest_ops.h"
#include "harness/storage/guest_use.h"
#include "harness/storage/transport.h"
#include "harness/util/result.h"

namespace wedge::workloads {

// The agent binary is /init in the image; its workload modes run through these names so task
// dumps say what they are (image.cpp makes the symlinks).
inline constexpr const char* kHogPath = "/bin/wedge-hog";
inline constexpr const char* kWriterPath = "/bin/wedge-write";
inline constexpr const char* kWatchPath = "/bin/wedge-watch";

struct WorkloadEntry {
  config::WorkloadKind kind;
  // Kind-specific checks (storage use, sizes); errors name the file and line. May be null.
  Status (*validate)(const config::Scenario&) = nullptr;
  // Tools and modules the image needs for it. May be null.
  storage::ImageNeeds (*image_needs)(const config::Scenario&) = nullptr;
  // What the agent runs, given where the storage is.
  Result<std::vector<std::string>> (*argv)(const config::Scenario&,
                                           const storage::InUse&) = nullptr;
  // Its progress lines as a generic measure; null: it reports none (only heartbeats count).
  std::optional<agent::Measure> (*parse_progress)(std::string_view line) = nullptr;
  // It prints "finding data_loss|io_error ..." lines (agent/progress.h) when data goes wrong.
  bool reports_findings = false;
  // Host files it copies to /extra/<name> (command's files, fio's job file). May be null.
  std::vector<std::filesystem::path> (*host_files)(const config::Scenario&) = nullptr;
  // A guest file holding the workload's own result (fio's JSON), read once it has exited (at
  // most kResultFileMaxBytes) and turned by parse_result into guest.workload.result in
  // report.json. parse_result must not throw: the text comes from the guest. Null: none.
  const char* result_file = nullptr;
  nlohmann::json (*parse_result)(std::string_view text) = nullptr;
};

inline constexpr size_t kResultFileMaxBytes = 1 << 20;

// "file.toml:12: " for a [workload] key (or the table when the key was not given).
[[nodiscard]] std::string where(const config::Scenario& s, std::string_view key);

// Arguments of the agent's write mode shared by large-file and concurrent-writers.
[[nodiscard]] std::vector<std::string> writer_argv(const config::Scenario& s,
                                                   const storage::InUse& in_use, int mib,
                                                   int writers, bool same_file);

// use = "fs" is required by the file workloads: errors name [storage] and the kind.
[[nodiscard]] Status require_use(const config::Scenario& s, config::StorageUse use);

// The files' size_mib plus room for the filesystem's own metadata must fit on the storage.
[[nodiscard]] Status require_room(const config::Scenario& s, int size_mib);

}  // namespace wedge::workloads
