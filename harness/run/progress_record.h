// The run's progress.jsonl: one line a second with the workload's progress measure and the
// bytes through the host's storage servers, on the run's clock (the t_s of samples.jsonl).
//
//   append_file(dir / "progress.jsonl", progress_record_line(now, &measure, &stats) + "\n");
//   // {"t_s":12.003,"workload":{"done":40,"total":128,"unit":"MiB","phase":"write"},
//   //  "server":{"bytes_from_guest":41943040,"bytes_to_guest":1048576,"connections":1}}
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/agent/progress.h"
#include "harness/storage/server.h"

namespace wedge::run {

// One record, no trailing newline. workload: null until the workload reported progress;
// server: null when the transport has no host server (9p). Unit and phase (workload output)
// are cut to 64 bytes and UTF-8-cleaned.
[[nodiscard]] std::string progress_record_line(double t_s, const agent::Measure* workload,
                                               const storage::ServerStats* server);

// Sums the servers' stats (nullopt: no servers) and appends a record to run_dir/progress.jsonl.
void append_progress_record(const std::filesystem::path& run_dir, double t_s,
                            const agent::Measure* workload,
                            const std::vector<storage::Server*>& servers);

}  // namespace wedge::run
