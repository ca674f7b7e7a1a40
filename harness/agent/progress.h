// Pure parsing of what workloads the agent runs print on stdout: "progress" lines (the
// generic measure the detector and the progress line use: how much is done, of what, in which
// phase) and "finding" lines (data that read back wrong, an I/O error, with file and offset).
//
//   if (auto p = parse_progress_line("progress 16 64")) use(p->done_mib, p->total_mib);
//   parse_measure_line("progress 12 512 MiB write");   // {12, 512, "MiB", "write"}
//   parse_finding_line("finding data_loss file=/mnt/wedge/f offset=4096 length=4096
//   what=mismatch");
//   parse_file_line("file path=/mnt/wedge/large-file inode=12");    // {"/mnt/...", 12}
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wedge::agent {

// The hog's line: MiB touched of MiB to touch.
struct Progress {
  uint64_t done_mib = 0;
  uint64_t total_mib = 0;
  bool operator==(const Progress&) const = default;
};

// Parses "progress <done> <total>" (a trailing "\n" or "\r\n" is allowed); nullopt for any
// other line, or if done > total.
[[nodiscard]] std::optional<Progress> parse_progress_line(std::string_view line);

// Any workload's progress as a generic measure.
struct Measure {
  uint64_t done = 0;
  uint64_t total = 0;  // 0: unknown
  std::string unit = "MiB";
  std::string phase;  // "write", "verify", "Writing inode tables", ...
  bool operator==(const Measure&) const = default;
};

// "progress <done> <total> [<unit> [<phase words...>]]"; the hog's two-number form is MiB.
[[nodiscard]] std::optional<Measure> parse_measure_line(std::string_view line);

// What a verifying workload found wrong with the data it wrote.
struct DataFinding {
  std::string kind;  // "data_loss" (read back wrong or short) or "io_error" (a syscall failed)
  std::string file;
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string syscall;  // io_error: "write", "fsync", "read", "open", ...
  int error = 0;        // io_error: errno
  std::string what;     // data_loss: "mismatch" or "short read"
  bool operator==(const DataFinding&) const = default;
};

// "finding <kind> key=value ..." with keys file, offset, length, syscall, errno, what.
[[nodiscard]] std::optional<DataFinding> parse_finding_line(std::string_view line);

// A file a verifying workload writes, by inode, so kernel messages that name only the inode
// ("I/O error 10 writing to inode 12") can name the file.
struct WorkloadFile {
  std::string path;
  uint64_t inode = 0;
  bool operator==(const WorkloadFile&) const = default;
};

// "file path=<path> inode=<number>"; nullopt for any other line.
[[nodiscard]] std::optional<WorkloadFile> parse_file_line(std::string_view line);

// One line for people: "data_loss in /mnt/wedge/f at offset 4096, 4096 bytes (mismatch)".
[[nodiscard]] std::string describe(const DataFinding& finding);

}  // namespace wedge::agent
