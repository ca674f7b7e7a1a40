// An append-only log file with a size cap, for what a guest controls (workload output, agent
// log lines, events, samples): past the cap, output is dropped and counted, and the file says
// so with a marker where the cut happened and the dropped-byte count when it is closed. The
// file is opened once (created if needed, never through a symlink) and the first write error
// is kept, so a full disk becomes one clear error instead of silently missing lines.
//
//   CappedLog log(run_dir / "workload.log", 256 << 20);
//   log.append(bytes);
//   if (!log.status()) report(log.status().error());   // "write .../workload.log: No space..."
//   log.close();   // "[wedge: 1234 bytes dropped after the 268435456-byte cap]"
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge {

class CappedLog {
 public:
  CappedLog(std::filesystem::path path, uint64_t cap_bytes)
      : path_(std::move(path)), cap_(cap_bytes) {}
  CappedLog(const CappedLog&) = delete;
  CappedLog& operator=(const CappedLog&) = delete;
  ~CappedLog() { close(); }

  // Appends what fits under the cap; the rest is counted as dropped.
  void append(std::string_view data);
  // Writes the dropped-byte count (if any) and closes the file. Safe to call twice.
  void close();

  [[nodiscard]] uint64_t written() const { return written_; }
  [[nodiscard]] uint64_t dropped() const { return dropped_; }
  [[nodiscard]] uint64_t cap() const { return cap_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  // The first error opening or writing the file (errno kept in the text), or ok.
  [[nodiscard]] const Status& status() const { return status_; }
  // The errno of that first error, 0 if none (ENOSPC: the disk is full).
  [[nodiscard]] int error_number() const { return errno_; }

 private:
  void write_raw(std::string_view data);

  std::filesystem::path path_;
  uint64_t cap_;
  UniqueFd fd_;
  uint64_t written_ = 0;
  uint64_t dropped_ = 0;
  bool closed_ = false;
  Status status_ = ok_status();
  int errno_ = 0;
};

}  // namespace wedge
