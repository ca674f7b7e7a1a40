// Implementation of commands.h: payloads built with PayloadBuilder, checked against the
// limits the agent enforces.
#include "harness/agent/commands.h"

#include <cctype>
#include <cstdint>

#include "harness/agent/wire.h"
#include "harness/agent_protocol/protocol.h"

namespace wedge::agent {

namespace ap = agent_protocol;
namespace field = agent_protocol::field;

namespace {
// What the agent accepts (workloads/agent/requests.cpp): 256 args and env entries each,
// 64 KiB of strings in all, paths shorter than PATH_MAX.
constexpr size_t kMaxArgs = 256;
constexpr size_t kMaxStringBytes = 64 * 1024;
constexpr size_t kMaxPath = 4095;
constexpr size_t kMaxStates = 16;
constexpr size_t kMaxFilter = 64;  // FileRequest::filter

Status check_string(std::string_view what, std::string_view s) {
  if (s.find('\0') != std::string_view::npos) return make_error("{} contains a NUL byte", what);
  return ok_status();
}

Status check_path(std::string_view path) {
  if (path.empty()) return make_error("empty path");
  if (path.size() > kMaxPath) return make_error("path longer than {} bytes", kMaxPath);
  return check_string("path", path);
}

Status check_size(const std::string& payload) {
  if (payload.size() > ap::kMaxPayload) {
    return make_error("request is {} bytes, more than the protocol's {}", payload.size(),
                      ap::kMaxPayload);
  }
  return ok_status();
}
}  // namespace

std::string CommandEncoder::frame(uint16_t type, const std::string& payload) {
  return make_frame(type, seq_++, payload);
}

Result<std::string> CommandEncoder::encode_exec(uint64_t job, const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env,
                                                std::string_view cwd) {
  if (argv.empty() || argv[0].empty()) return make_error("exec: empty argv");
  if (argv.size() > kMaxArgs || env.size() > kMaxArgs) {
    return make_error("exec: more than {} arguments or environment entries", kMaxArgs);
  }
  size_t string_bytes = 0;
  PayloadBuilder b;
  b.u64(field::kJobId, job);
  for (const std::string& arg : argv) {
    WEDGE_CHECK(check_string("exec: argument", arg));
    b.bytes(field::kArg, arg);
    string_bytes += arg.size() + 1;
  }
  for (const std::string& entry : env) {
    WEDGE_CHECK(check_string("exec: environment entry", entry));
    b.bytes(field::kEnv, entry);
    string_bytes += entry.size() + 1;
  }
  if (string_bytes > kMaxStringBytes) {
    return make_error("exec: argv and env hold {} bytes, more than {}", string_bytes,
                      kMaxStringBytes);
  }
  if (!cwd.empty()) {
    WEDGE_CHECK(check_path(cwd).context("exec: cwd"));
    b.bytes(field::kCwd, cwd);
  }
  WEDGE_CHECK(check_size(b.payload()).context("exec"));
  return frame(static_cast<uint16_t>(ap::MsgType::kExec), b.payload());
}

std::string CommandEncoder::encode_signal(uint64_t job, int sig, uint64_t request) {
  PayloadBuilder b;
  b.u64(field::kJobId, job).i64(field::kSignal, sig);
  if (request != 0) b.u64(field::kRequestId, request);
  return frame(static_cast<uint16_t>(ap::MsgType::kSignal), b.payload());
}

std::string CommandEncoder::encode_sysrq(uint64_t request, char key) {
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kKey, std::string_view(&key, 1));
  return frame(static_cast<uint16_t>(ap::MsgType::kSysrq), b.payload());
}

Result<std::string> CommandEncoder::encode_write_file(uint64_t request, std::string_view path,
                                                      std::string_view data) {
  WEDGE_CHECK(check_path(path).context("write-file"));
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kPath, path).bytes(field::kData, data);
  WEDGE_CHECK(check_size(b.payload()).context("write-file"));
  return frame(static_cast<uint16_t>(ap::MsgType::kWriteFile), b.payload());
}

Result<std::string> CommandEncoder::encode_read_file(uint64_t request, std::string_view path) {
  WEDGE_CHECK(check_path(path).context("read-file"));
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kPath, path);
  return frame(static_cast<uint16_t>(ap::MsgType::kReadFile), b.payload());
}

Result<std::string> CommandEncoder::encode_read_file(uint64_t request, std::string_view path,
                                                     uint64_t offset) {
  WEDGE_CHECK(check_path(path).context("read-file"));
  if (offset > static_cast<uint64_t>(INT64_MAX)) {
    return make_error("read-file: offset {} out of range", offset);
  }
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kPath, path).u64(field::kOffset, offset);
  return frame(static_cast<uint16_t>(ap::MsgType::kReadFile), b.payload());
}

Result<std::string> CommandEncoder::encode_read_lines(uint64_t request, std::string_view path,
                                                      std::string_view filter, uint64_t offset) {
  WEDGE_CHECK(check_path(path).context("read-lines"));
  if (filter.empty() || filter.size() > kMaxFilter) {
    return make_error("read-lines: filter of {} bytes, want 1 to {}", filter.size(), kMaxFilter);
  }
  if (offset > static_cast<uint64_t>(INT64_MAX)) {
    return make_error("read-lines: offset {} out of range", offset);
  }
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kPath, path).bytes(field::kFilter, filter);
  if (offset != 0) b.u64(field::kOffset, offset);
  return frame(static_cast<uint16_t>(ap::MsgType::kReadFile), b.payload());
}

Result<std::string> CommandEncoder::encode_scan_tasks(uint64_t request, std::string_view states) {
  // The agent keeps the set in a 32-byte buffer; there are fewer task states than that.
  if (states.empty() || states.size() > kMaxStates) {
    return make_error("scan-tasks: {} state letters, want 1 to {}", states.size(), kMaxStates);
  }
  for (char c : states) {
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      return make_error("scan-tasks: '{}' is not a task state letter", c);
    }
  }
  PayloadBuilder b;
  b.u64(field::kRequestId, request).bytes(field::kText, states);
  return frame(static_cast<uint16_t>(ap::MsgType::kScanTasks), b.payload());
}

Result<std::string> CommandEncoder::encode_watch(uint64_t request,
                                                 const std::vector<std::string>& paths) {
  if (paths.size() > ap::kMaxWatched) {
    return make_error("watch: {} paths, at most {}", paths.size(), ap::kMaxWatched);
  }
  PayloadBuilder b;
  b.u64(field::kRequestId, request);
  for (const auto& path : paths) {
    if (path.empty() || path[0] != '/' || path.size() >= ap::kMaxWatchedPath ||
        path.find('\0') != std::string::npos) {
      return make_error("watch: '{}' is not an absolute path shorter than {} bytes", path,
                        ap::kMaxWatchedPath);
    }
    b.bytes(field::kPath, path);
  }
  return frame(static_cast<uint16_t>(ap::MsgType::kWatch), b.payload());
}

std::string CommandEncoder::encode_ping(uint64_t request) {
  return frame(static_cast<uint16_t>(ap::MsgType::kPing),
               PayloadBuilder().u64(field::kRequestId, request).take());
}

std::string CommandEncoder::encode_poweroff() {
  return frame(static_cast<uint16_t>(ap::MsgType::kPoweroff), std::string());
}

}  // namespace wedge::agent
