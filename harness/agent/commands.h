// Host->guest requests of the wedge agent protocol, encoded as ready-to-write frames.
// A CommandEncoder numbers the frames it makes and hands out request ids.
//
//   CommandEncoder enc;
//   uint64_t req = enc.next_request_id();
//   write_to_channel(enc.encode_sysrq(req, 'w'));          // answered by Done{req}
//   WEDGE_TRY(std::string exec, enc.encode_exec(1, {"/sbin/swapon", "/dev/nbd0"}));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::agent {

class CommandEncoder {
 public:
  // Runs argv as job id `job` (>= 1; no shell). env replaces the guest default
  // (PATH=/sbin:/bin:/usr/sbin:/usr/bin) when non-empty; cwd is optional. Answered by
  // Started then Output... and Exited, or Failed (e.g. ENOENT when argv[0] is not found).
  // Fails when argv is empty, a string holds a NUL, or the frame would exceed kMaxPayload.
  [[nodiscard]] Result<std::string> encode_exec(uint64_t job, const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env = {},
                                                std::string_view cwd = "");
  // Sends sig to job's process group; answered by Done{request, job} or Failed.
  // request 0 means none (the answer then carries only the job id).
  [[nodiscard]] std::string encode_signal(uint64_t job, int sig, uint64_t request = 0);
  // Writes key to /proc/sysrq-trigger (pre-opened by the agent); answered by Done or Failed.
  [[nodiscard]] std::string encode_sysrq(uint64_t request, char key);
  // Writes data to path like `echo -n data > path` (sysctls, cgroup files), without forking.
  // Fails if path is empty or holds a NUL, or the frame would exceed kMaxPayload.
  [[nodiscard]] Result<std::string> encode_write_file(uint64_t request, std::string_view path,
                                                      std::string_view data);
  // Reads path (at most 60 KiB); answered by File{request, path, data} or Failed.
  [[nodiscard]] Result<std::string> encode_read_file(uint64_t request, std::string_view path);
  // Reads up to 60 KiB of path starting at byte offset, answered by File{request, path, data,
  // offset}; page through a big file (/proc/kallsyms) until a piece comes back short:
  //   enc.encode_read_file(req, "/proc/kallsyms", 61440);
  [[nodiscard]] Result<std::string> encode_read_file(uint64_t request, std::string_view path,
                                                     uint64_t offset);
  // Reads path in the guest from byte offset to its end and answers with only the lines
  // that hold filter (1 to 64 bytes): File{request, path, data, offset, filter, next_offset},
  // at most 60 KiB of lines; when more matched, ask again from next_offset. For the module
  // symbols of /proc/kallsyms, without sending the 3.5 MiB of it:
  //   enc.encode_read_lines(req, "/proc/kallsyms", "\t[");
  [[nodiscard]] Result<std::string> encode_read_lines(uint64_t request, std::string_view path,
                                                      std::string_view filter, uint64_t offset = 0);
  // Lists every task (thread) whose state letter is in states ("D", "DR"), kernel threads
  // included, the agent excepted: one Task{request, ...} each (2000 at most), then
  // Done{request}. Failed with EBUSY while another scan runs. Fails here if states is empty
  // or holds anything but letters.
  [[nodiscard]] Result<std::string> encode_scan_tasks(uint64_t request, std::string_view states);
  // From now on every Sample carries the text of these files (Sample::watched), opened once
  // by the agent and re-read with pread; replaces the previous set (none: stop watching).
  // Answered by Done{request}, or Failed naming the first path that did not open (the others
  // are watched). Fails here with more than kMaxWatched paths, or one that is not absolute,
  // holds a NUL or has kMaxWatchedPath bytes or more:
  //   enc.encode_watch(req, {"/sys/fs/cgroup/wedge/memory.current", "/sys/block/nbd0/stat"});
  [[nodiscard]] Result<std::string> encode_watch(uint64_t request,
                                                 const std::vector<std::string>& paths);
  // Answered by Done{request}; also ends the agent's repeated Hellos.
  [[nodiscard]] std::string encode_ping(uint64_t request);
  // sync() and power off (PID 1 only; serve mode stops serving). No answer.
  [[nodiscard]] std::string encode_poweroff();

  // A fresh request id: 1, 2, 3, ...
  [[nodiscard]] uint64_t next_request_id() { return ++last_request_; }
  // The sequence number the next frame will carry.
  [[nodiscard]] uint32_t next_seq() const { return seq_; }

 private:
  std::string frame(uint16_t type, const std::string& payload);
  uint32_t seq_ = 0;
  uint64_t last_request_ = 0;
};

}  // namespace wedge::agent
