// Implementation of requests.h: field parsing into static storage and the handlers.
#include "workloads/agent/requests.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/replies.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
constexpr int kMaxArgs = 256;
constexpr size_t kArgSpace = 64 * 1024;
constexpr size_t kMaxRead = 60 * 1024;
constexpr const char* kDefaultEnv = "PATH=/sbin:/bin:/usr/sbin:/usr/bin";

// Storage for one request's strings; requests are handled one at a time.
char g_args[kArgSpace];
char* g_argv[kMaxArgs + 1];
char* g_envp[kMaxArgs + 1];
char g_cwd[PATH_MAX];
char g_path[PATH_MAX];
uint8_t g_file_data[kMaxRead];
uint8_t g_reply[ap::kMaxPayload];

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

// Collects ids and the path field of a payload; false (after answering kFailed) if malformed.
bool read_path_request(const uint8_t* payload, size_t len, Ids* ids, const uint8_t** data,
                       uint32_t* data_len, const char* what) {
  ap::FieldReader r(payload, len);
  uint16_t tag;
  const uint8_t* p;
  uint32_t n;
  bool have_path = false, path_ok = true;
  while (r.next(&tag, &p, &n)) {
    take_id(tag, p, n, ids);
    if (tag == ap::field::kPath) {
      have_path = true;
      path_ok = copy_cstr(g_path, sizeof g_path, p, n) && n > 0;
    } else if (tag == ap::field::kData && data != nullptr) {
      *data = p;
      *data_len = n;
    }
  }
  if (r.malformed() || ids->bad || !have_path || !path_ok) {
    send_failed(ids->to, EINVAL, what);
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
  jobs_.exec(request);
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
  Ids ids;
  const uint8_t* data = nullptr;
  uint32_t data_len = 0;
  if (!read_path_request(payload, len, &ids, &data, &data_len, "write-file: malformed request")) {
    return;
  }
  char what[PATH_MAX + 32];
  // Shell-redirect semantics ("echo x > path"): sysctl, sysfs and cgroup files take it too.
  int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    snprintf(what, sizeof what, "open %s", g_path);
    send_failed(ids.to, errno, what);
    return;
  }
  bool ok = write_all(fd, data, data_len);
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    snprintf(what, sizeof what, "write %s", g_path);
    send_failed(ids.to, err, what);
    return;
  }
  send_done(ids.to);
}

void Requests::read_file(const uint8_t* payload, size_t len) {
  Ids ids;
  if (!read_path_request(payload, len, &ids, nullptr, nullptr, "read-file: malformed request")) {
    return;
  }
  char what[PATH_MAX + 32];
  // O_NONBLOCK: a FIFO must not stall the agent.
  int fd = open(g_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    snprintf(what, sizeof what, "open %s", g_path);
    send_failed(ids.to, errno, what);
    return;
  }
  size_t path_len = strlen(g_path);
  size_t cap = ap::kMaxPayload - 64 - path_len;
  if (cap > kMaxRead) cap = kMaxRead;
  size_t used = 0;
  while (used < cap) {
    ssize_t n = read(fd, g_file_data + used, cap - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      snprintf(what, sizeof what, "read %s", g_path);
      send_failed(ids.to, err, what);
      return;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  ap::FieldWriter w(g_reply, sizeof g_reply);
  if (ids.to.has_request) w.put_u64(ap::field::kRequestId, ids.to.request);
  w.put_bytes(ap::field::kPath, g_path, path_len);
  w.put_bytes(ap::field::kData, g_file_data, used);
  outq().push(ap::MsgType::kFile, w.data(), w.size(), Priority::kReply);
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
