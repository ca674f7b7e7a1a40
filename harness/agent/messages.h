// Typed guest->host messages of the wedge agent protocol (harness/agent_protocol/protocol.h), as
// the Decoder produces them, plus encode_message to turn one back into a frame (for tests and for
// replaying recorded agent streams through a fake Vm).
//
//   std::string bytes = encode_message(Heartbeat{.seq = 3, .uptime_ms = 1200}, /*seq=*/7);
//   decoder.feed(bytes);  // decoder.next() yields the same Heartbeat
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace wedge::agent {

// Ids are host-chosen and start at 1: 0 in a message means the field was absent.

struct Hello {
  std::string kernel_release;
  std::string agent_version;
  uint64_t uptime_ms = 0;
  uint64_t rss_kb = 0;        // the agent's own VmRSS
  uint64_t memlocked_kb = 0;  // the agent's own VmLck (its whole RSS when mlockall worked)
  bool operator==(const Hello&) const = default;
};

struct Heartbeat {
  uint64_t seq = 0;
  uint64_t uptime_ms = 0;
  bool operator==(const Heartbeat&) const = default;
};

// One file the host asked the agent to watch (kWatch), as the last sample read it.
struct WatchedFile {
  std::string path;
  std::string text;  // at most kMaxWatchedText bytes
  bool operator==(const WatchedFile&) const = default;
};

// Raw /proc text; sample.h parses it.
struct Sample {
  uint64_t uptime_ms = 0;
  std::string meminfo;
  std::string vmstat;
  std::string psi_memory;  // empty if the guest has no PSI
  std::string psi_io;
  std::string modules = {};  // /proc/modules; empty from an agent that does not send it
  std::vector<WatchedFile> watched = {};  // in slot order; only the files that could be read
  bool operator==(const Sample&) const = default;
};

struct Started {
  uint64_t job = 0;
  int64_t pid = 0;
  bool operator==(const Started&) const = default;
};

struct Output {
  uint64_t job = 0;
  int stream = 0;  // 1 stdout, 2 stderr
  std::string data;
  bool operator==(const Output&) const = default;
};

// A job ended: signal != 0 if it was killed (exit_code is then 0).
struct Exited {
  uint64_t job = 0;
  int exit_code = 0;
  int signal = 0;
  bool operator==(const Exited&) const = default;
};

// A request failed: job and/or request identify it; err is an errno value.
struct Failed {
  uint64_t job = 0;
  uint64_t request = 0;
  int err = 0;
  std::string text;
  bool operator==(const Failed&) const = default;
};

// A request finished; job is set for kSignal answers.
struct Done {
  uint64_t request = 0;
  uint64_t job = 0;
  bool operator==(const Done&) const = default;
};

struct Log {
  std::string text;
  bool operator==(const Log&) const = default;
};

// A piece of a file: data starts at byte offset of path; fewer bytes than asked for
// (60 KiB at most per piece) means the end of the file was reached. For a filtered read,
// data holds the matching lines from offset on, and next_offset, when not 0, is where to
// ask again for the ones that did not fit.
struct File {
  uint64_t request = 0;
  std::string path;
  std::string data;
  uint64_t offset = 0;
  std::string filter = {};  // echoed: empty for a plain read (or an agent without filters)
  uint64_t next_offset = 0;
  bool operator==(const File&) const = default;
};

// One task (thread) found by a task scan; a scan ends with Done{request}.
struct Task {
  uint64_t request = 0;
  int64_t pid = 0;    // the thread id (equal to the process id for single-threaded ones)
  std::string comm;   // /proc/PID/comm
  std::string state;  // one letter: "D", "R", "S", ...
  std::string wchan;  // /proc/PID/wchan ("0" or empty when running)
  std::string stack;  // raw /proc/PID/stack text ("[<0>] folio_wait_bit_common+0x13d/0x380")
  bool operator==(const Task&) const = default;
};

using Message =
    std::variant<Hello, Heartbeat, Sample, Started, Output, Exited, Failed, Done, Log, File, Task>;

// The message's protocol name ("hello", "heartbeat", ...), for logs.
[[nodiscard]] const char* message_name(const Message& message);

// Encodes a message as the agent would send it, with frame sequence number seq. Ids of 0
// (job, request in Failed/Done/File) are left out, like the agent leaves out absent ids.
// The agent never sends more than kMaxPayload; a bigger message here makes a frame the
// Decoder rejects, which is what tests of oversized input want.
[[nodiscard]] std::string encode_message(const Message& message, uint32_t seq);

}  // namespace wedge::agent
