// Implementation of requests.h: field parsing into static storage and the handlers.
#include "workloads/agent/requests.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "workloads/agent/file_worker.h"
#include "workloads/agent/io_flusher.h"
#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/replies.h"
#include "workloads/agent/task_cache.h"
#include "workloads/agent/task_scan.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
constexpr int kMaxArgs = 256;
constexpr size_t kArgSpace = 64 * 1024;
constexpr const char* kDefaultEnv = "PATH=/sbin:/bin:/usr/sbin:/usr/bin";

// Storage for one request's strings; requests are handled one at a time.
char g_args[kArgSpace];
char* g_argv[kMaxArgs + 1];
char* g_envp[kMaxArgs + 1];
char g_cwd[PATH_MAX];
char g_watch_paths[ap::kMaxWatched][ap::kMaxWatchedPath];

// The ids every request may carry; bad == true if an id field had the wrong size.
struct Ids {
  ReplyTo to;
  bool bad = false;
};

void take_id(uint16_t tag, const uint8_t* data, uint32_t len, Ids* ids) {
  if (tag == ap::field::kJobId) {
    ids->to.has_job = field_u64(data, len, &ids->to.job);
    ids->bad |= !ids->to.has_job;
  } else if (tag == ap::field::kRequestId) {
    ids->to.has_request = field_u64(data, len, &ids->to.request);
    ids->bad |= !ids->to.has_request;
  }
}

// Collects a file request's ids, path, data (kWrite), offset and filter (kRead) into a worker
// slot; false (after answering kFailed) if malformed.
bool parse_file_request(const uint8_t* payload, size_t len, FileRequest* r, const char* what) {
  ap::FieldReader reader(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  bool have_path = false, path_ok = true, fields_ok = true;
  while (reader.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag == ap::field::kPath) {
      have_path = true;
      path_ok = copy_cstr(r->path, sizeof r->path, p, n) && n > 0;
    } else if (tag == ap::field::kData && r->kind == FileRequest::Kind::kWrite) {
      fields_ok &= n <= sizeof r->buf;
      if (n <= sizeof r->buf) {
        memcpy(r->buf, p, n);
        r->data_len = n;
      }
    } else if (tag == ap::field::kOffset && r->kind == FileRequest::Kind::kRead) {
      fields_ok &= field_u64(p, n, &r->offset) && r->offset <= static_cast<uint64_t>(INT64_MAX);
    } else if (tag == ap::field::kFilter && r->kind == FileRequest::Kind::kRead) {
      fields_ok &= n > 0 && n <= sizeof r->filter;
      if (n > 0 && n <= sizeof r->filter) {
        memcpy(r->filter, p, n);
        r->filter_len = n;
      }
    }
  }
  r->to = ids.to;
  if (reader.malformed() || ids.bad || !have_path || !path_ok || !fields_ok) {
    send_failed(ids.to, EINVAL, what);
    return false;
  }
  return true;
}
}  // namespace

void Requests::handle(uint16_t type, const uint8_t* payload, size_t len) {
  host_seen_ = true;
  switch (static_cast<ap::MsgType>(type)) {
    case ap::MsgType::kExec:
      exec(payload, len);
      break;
    case ap::MsgType::kSignal:
      signal(payload, len);
      break;
    case ap::MsgType::kSysrq:
      sysrq(payload, len);
      break;
    case ap::MsgType::kWriteFile:
      write_file(payload, len);
      break;
    case ap::MsgType::kReadFile:
      read_file(payload, len);
      break;
    case ap::MsgType::kPing:
      ping(payload, len);
      break;
    case ap::MsgType::kScanTasks:
      scan_tasks(payload, len);
      break;
    case ap::MsgType::kWatch:
      watch(payload, len);
      break;
    case ap::MsgType::kPoweroff:
      poweroff();
      break;
    default:
      break;  // a newer host's request, or a guest->host type echoed back: nothing to do
  }
}

void Requests::exec(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  int argc = 0, envc = 0;
  size_t used = 0;
  bool have_cwd = false, fits = true, clean = true;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag == ap::field::kArg || tag == ap::field::kEnv) {
      int& count = tag == ap::field::kArg ? argc : envc;
      char** vec = tag == ap::field::kArg ? g_argv : g_envp;
      if (count == kMaxArgs || !copy_cstr(g_args + used, kArgSpace - used, p, n)) {
        fits = false;
        continue;
      }
      vec[count++] = g_args + used;
      used += n + 1;
    } else if (tag == ap::field::kCwd) {
      have_cwd = copy_cstr(g_cwd, sizeof g_cwd, p, n) && n > 0;
      clean &= have_cwd;
    }
  }
  if (r.malformed() || ids.bad || !ids.to.has_job || !clean) {
    send_failed(ids.to, EINVAL, "exec: malformed request");
    return;
  }
  if (!fits) {
    send_failed(ids.to, E2BIG, "exec: argv or env too long");
    return;
  }
  if (argc == 0 || g_argv[0][0] == '\0') {
    send_failed(ids.to, EINVAL, "exec: empty argv");
    return;
  }
  if (envc == 0) g_envp[envc++] = const_cast<char*>(kDefaultEnv);
  g_argv[argc] = nullptr;
  g_envp[envc] = nullptr;
  ExecRequest request;
  request.job = ids.to.job;
  request.argv = g_argv;
  request.envp = g_envp;
  request.cwd = have_cwd ? g_cwd : nullptr;
  {
    // A job must not inherit the agent's IO_FLUSHER state (io_flusher.h).
    IoFlusherPause pause;
    jobs_.exec(request);
  }
  // A workload may wedge the guest within a second: hold its files open before that.
  task_cache().refresh_soon();
}

void Requests::signal(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  uint64_t sig = 0;
  bool have_sig = false;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag == ap::field::kSignal) have_sig = field_u64(p, n, &sig);
  }
  if (r.malformed() || ids.bad || !ids.to.has_job || !have_sig || sig < 1 || sig > 64) {
    send_failed(ids.to, EINVAL, "signal: malformed request");
    return;
  }
  int err = jobs_.signal(ids.to.job, static_cast<int>(sig));
  if (err != 0) {
    send_failed(ids.to, err, "signal: kill");
    return;
  }
  send_done(ids.to);
}

void Requests::sysrq(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  char key = 0;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag == ap::field::kKey && n >= 1) key = static_cast<char>(p[0]);
  }
  if (r.malformed() || ids.bad || key == 0) {
    send_failed(ids.to, EINVAL, "sysrq: malformed request");
    return;
  }
  if (sysrq_fd_ < 0) {
    // Opening late may not work in a wedged guest; the start-up open is what matters.
    sysrq_fd_ = open(sysrq_path_, O_WRONLY | O_CLOEXEC);
    if (sysrq_fd_ < 0) {
      send_failed(ids.to, errno, "sysrq: open trigger");
      return;
    }
  }
  if (write(sysrq_fd_, &key, 1) != 1) {
    send_failed(ids.to, errno, "sysrq: write");
    return;
  }
  send_done(ids.to);
}

void Requests::write_file(const uint8_t* payload, size_t len) {
  file_request(FileRequest::Kind::kWrite, payload, len, "write-file");
}

void Requests::read_file(const uint8_t* payload, size_t len) {
  file_request(FileRequest::Kind::kRead, payload, len, "read-file");
}

void Requests::file_request(FileRequest::Kind kind, const uint8_t* payload, size_t len,
                            const char* name) {
  char what[64];
  FileRequest* r = file_worker().reserve();
  if (r == nullptr) {
    // The worker is stuck (a write blocked in reclaim) with its queue full: say so now
    // rather than leave the host waiting behind it.
    Ids ids;
    ap::FieldReader reader(payload, len);
    uint16_t tag;
    const uint8_t* p;
    uint32_t n;
    while (reader.next(&tag, &p, &n)) take_id(tag, p, n, &ids);
    snprintf(what, sizeof what, "%s: file worker busy", name);
    send_failed(ids.to, EAGAIN, what);
    return;
  }
  r->kind = kind;
  snprintf(what, sizeof what, "%s: malformed request", name);
  if (!parse_file_request(payload, len, r, what)) return;
  file_worker().submit();
}

void Requests::scan_tasks(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  const uint8_t* states = nullptr;
  uint32_t states_len = 0;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag == ap::field::kText) {
      states = p;
      states_len = n;
    }
  }
  bool clean = states != nullptr && states_len > 0 && memchr(states, 0, states_len) == nullptr;
  if (r.malformed() || ids.bad || !clean) {
    send_failed(ids.to, EINVAL, "scan-tasks: malformed request");
    return;
  }
  (void)task_scan().begin(ids.to, reinterpret_cast<const char*>(states), states_len);
}

void Requests::watch(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  size_t count = 0;
  bool clean = true;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, &ids);
    if (tag != ap::field::kPath) continue;
    if (count == ap::kMaxWatched || n == 0 || p[0] != '/' ||
        !copy_cstr(g_watch_paths[count], ap::kMaxWatchedPath, p, n)) {
      clean = false;
      continue;
    }
    ++count;
  }
  if (r.malformed() || ids.bad || !clean) {
    send_failed(ids.to, EINVAL, "watch: malformed request (too many paths, or one too long)");
    return;
  }
  size_t failed = 0;
  if (int err = sampler_.watch(g_watch_paths, count, &failed); err != 0) {
    char what[ap::kMaxWatchedPath + 32];
    snprintf(what, sizeof what, "watch: open %s", g_watch_paths[failed]);
    send_failed(ids.to, err, what);
    return;
  }
  send_done(ids.to);
}

void Requests::ping(const uint8_t* payload, size_t len) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  Ids ids;
  while (r.next(&tag, &p, &n)) take_id(tag, p, n, &ids);
  if (r.malformed() || ids.bad) {
    send_failed(ids.to, EINVAL, "ping: malformed request");
    return;
  }
  send_done(ids.to);
}

void Requests::poweroff() {
  // Two guards: serve mode on a developer's host must never power the host off.
  if (!may_power_off_ || getpid() != 1) {
    agent_log("poweroff requested: not PID 1, so serving stops instead");
    stop_ = true;
    return;
  }
  agent_log("poweroff requested");
  sync();
  reboot(RB_POWER_OFF);
  agent_log("reboot(RB_POWER_OFF): %s", errno_text(errno));
}

}  // namespace wedge::guest
