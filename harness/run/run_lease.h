// A live run's record for `wedge gc`: which wedge owns which run directory, its guest, and
// which of its files are transient (export images, sockets, the extra initrd), kept as
// <state dir>/runs/<run id>.json while the run lives. A wedge killed with SIGKILL leaves its
// record behind; the next wedge (or `wedge gc`) finds the owner dead and removes the listed
// files and the record (reaper.h).
//
//   WEDGE_TRY(RunLease lease, RunLease::take(default_state_dir(), run_id, run_dir,
//                                            {"export.img", "agent.sock"}, domain_name));
//   // ... the run ...   (the destructor removes the record)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/owner.h"
#include "harness/util/result.h"

namespace wedge::run {

// $WEDGE_STATE_DIR; else /run/wedge for root, $XDG_RUNTIME_DIR/wedge, or /tmp/wedge-<uid>.
[[nodiscard]] std::filesystem::path default_state_dir();

struct LeaseRecord {
  Owner owner;
  std::string run_id;
  std::filesystem::path run_dir;
  std::vector<std::string> files;  // relative to run_dir
  std::string domain;
  std::filesystem::path record;  // the record file itself
};

class RunLease {
 public:
  [[nodiscard]] static Result<RunLease> take(const std::filesystem::path& state_dir,
                                             const std::string& run_id,
                                             const std::filesystem::path& run_dir,
                                             std::vector<std::string> transient_files,
                                             std::string domain);
  RunLease(RunLease&& other) noexcept
      : record_(std::move(other.record_)), fields_(std::move(other.fields_)) {
    other.record_.clear();
  }
  RunLease& operator=(RunLease&& other) noexcept;
  RunLease(const RunLease&) = delete;
  RunLease& operator=(const RunLease&) = delete;
  ~RunLease();

  // Adds transient files (names in the run directory, e.g. a transport's exports once known).
  [[nodiscard]] Status add_files(const std::vector<std::string>& names);

 private:
  RunLease(std::filesystem::path record, LeaseRecord fields)
      : record_(std::move(record)), fields_(std::move(fields)) {}
  [[nodiscard]] Status write() const;
  std::filesystem::path record_;
  LeaseRecord fields_;
};

// Every record under state_dir (unreadable ones are skipped: a record is being written).
[[nodiscard]] std::vector<LeaseRecord> read_leases(const std::filesystem::path& state_dir);

}  // namespace wedge::run
