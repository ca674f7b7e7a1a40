// Implementation of progress_record.h: nlohmann JSON, invalid UTF-8 replaced.
#include "harness/run/progress_record.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"

namespace wedge::run {

std::string progress_record_line(double t_s, const agent::Measure* workload,
                                 const storage::ServerStats* server) {
  nlohmann::ordered_json j;
  j["t_s"] = std::round(t_s * 1000) / 1000;
  if (workload) {
    j["workload"] = {{"done", workload->done},
                     {"total", workload->total},
                     {"unit", workload->unit.substr(0, 64)},
                     {"phase", workload->phase.substr(0, 64)}};
  }
  if (server) {
    j["server"] = {{"bytes_from_guest", server->bytes_from_guest},
                   {"bytes_to_guest", server->bytes_to_guest},
                   {"connections", server->connections},
                   {"bytes_queued_to_server", server->bytes_queued_to_server}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_progress_record(const std::filesystem::path& run_dir, double t_s,
                            const agent::Measure* workload,
                            const std::vector<storage::Server*>& servers) {
  storage::ServerStats sum;
  for (const storage::Server* s : servers) {
    storage::ServerStats one = s->stats();
    sum.bytes_from_guest += one.bytes_from_guest;
    sum.bytes_to_guest += one.bytes_to_guest;
    sum.connections += one.connections;
    sum.bytes_queued_to_server += one.bytes_queued_to_server;
  }
  (void)append_file(run_dir / "progress.jsonl",
                    progress_record_line(t_s, workload, servers.empty() ? nullptr : &sum) + "\n");
}

}  // namespace wedge::run
