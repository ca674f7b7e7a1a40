// Implementation of task_scan.h: raw getdents64 over /proc and /proc/PID/task, small reads of
// stat, comm, wchan and stack per thread, one kTask frame per match.
#include "workloads/agent/task_scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/protocol.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
TaskScan g_scan;

// struct linux_dirent64 as the kernel lays it out: d_ino (8), d_off (8), d_reclen (2),
// d_type (1), then the NUL-terminated name.
constexpr size_t kDirentNameOffset = 19;
constexpr size_t kPayloadCap = TaskScan::kMaxStack + 1024;

alignas(8) char g_proc_buf[16 * 1024];
alignas(8) char g_task_buf[8 * 1024];
char g_stat[1024];
char g_comm[64];
char g_wchan[256];
char g_stack[TaskScan::kMaxStack];
uint8_t g_payload[kPayloadCap];

// A decimal directory entry name as a pid; false for ".", "..", "self", "sys", ...
bool parse_pid(const char* name, pid_t* pid) {
  uint64_t v = 0;
  if (!parse_decimal(name, &v) || v == 0 || v > 0x7fffffff) return false;
  *pid = static_cast<pid_t>(v);
  return true;
}

// Reads a small /proc file whole; -1 if it is gone (the task exited) or unreadable.
ssize_t read_small(const char* path, char* buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  size_t used = 0;
  while (used < cap) {
    ssize_t n = read(fd, buf + used, cap - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  return static_cast<ssize_t>(used);
}

size_t strip_newline(const char* buf, ssize_t n) {
  if (n <= 0) return 0;
  size_t len = static_cast<size_t>(n);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0')) --len;
  return len;
}

// Calls visit(name) for each entry of an open directory, reading it with getdents64 into buf.
template <class Visit>
void for_each_entry(int fd, char* buf, size_t cap, Visit visit) {
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, cap);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    for (long pos = 0; pos < n;) {
      uint16_t reclen;
      memcpy(&reclen, buf + pos + 16, sizeof reclen);
      if (reclen == 0) return;
      visit(buf + pos + kDirentNameOffset);
      pos += reclen;
    }
  }
}
}  // namespace

TaskScan& task_scan() { return g_scan; }

bool TaskScan::begin(const ReplyTo& to, const char* states, size_t states_len) {
  if (active()) {
    send_failed(to, EBUSY, "scan-tasks: a scan is already running");
    return false;
  }
  if (states_len == 0 || states_len >= sizeof states_) {
    send_failed(to, EINVAL, "scan-tasks: malformed request");
    return false;
  }
  int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    send_failed(to, errno, "scan-tasks: open /proc");
    return false;
  }
  memcpy(states_, states, states_len);
  states_[states_len] = '\0';
  to_ = to;
  dir_fd_ = fd;
  buf_pos_ = buf_len_ = 0;
  dir_eof_ = false;
  reported_ = skipped_ = 0;
  self_ = getpid();
  return true;
}

bool TaskScan::can_step() const {
  return active() && outq().has_room_for(kPayloadCap, Priority::kOutput);
}

bool TaskScan::next_entry(pid_t* pid) {
  for (;;) {
    if (buf_pos_ >= buf_len_) {
      if (dir_eof_) return false;
      long n = syscall(SYS_getdents64, dir_fd_, g_proc_buf, sizeof g_proc_buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        dir_eof_ = true;
        return false;
      }
      buf_pos_ = 0;
      buf_len_ = static_cast<size_t>(n);
    }
    uint16_t reclen;
    memcpy(&reclen, g_proc_buf + buf_pos_ + 16, sizeof reclen);
    if (reclen == 0) {
      dir_eof_ = true;
      return false;
    }
    const char* name = g_proc_buf + buf_pos_ + kDirentNameOffset;
    buf_pos_ += reclen;
    if (parse_pid(name, pid)) return true;
  }
}

void TaskScan::step(int max_processes) {
  for (int i = 0; i < max_processes && can_step(); ++i) {
    pid_t pid;
    if (!next_entry(&pid)) {
      finish();
      return;
    }
    if (pid != self_) scan_process(pid);
  }
}

void TaskScan::scan_process(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // exited since the /proc listing
  for_each_entry(fd, g_task_buf, sizeof g_task_buf, [&](const char* name) {
    pid_t tid;
    if (parse_pid(name, &tid)) report_task(pid, tid);
  });
  close(fd);
}

void TaskScan::report_task(pid_t pid, pid_t tid) {
  char path[96];
  int base = snprintf(path, sizeof path, "/proc/%d/task/%d/", static_cast<int>(pid),
                      static_cast<int>(tid));
  if (base <= 0 || static_cast<size_t>(base) + 8 > sizeof path) return;
  char* leaf = path + base;
  size_t leaf_cap = sizeof path - static_cast<size_t>(base);

  snprintf(leaf, leaf_cap, "stat");
  ssize_t n = read_small(path, g_stat, sizeof g_stat);
  if (n <= 0) return;
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
  const auto* paren = static_cast<const char*>(memrchr(g_stat, ')', static_cast<size_t>(n)));
  if (paren == nullptr || paren + 2 >= g_stat + n) return;
  char state = paren[2];
  if (state == '\0' || strchr(states_, state) == nullptr) return;
  if (reported_ >= kMaxTasks) {
    ++skipped_;
    return;
  }

  snprintf(leaf, leaf_cap, "comm");
  size_t comm_len = strip_newline(g_comm, read_small(path, g_comm, sizeof g_comm));
  snprintf(leaf, leaf_cap, "wchan");
  size_t wchan_len = strip_newline(g_wchan, read_small(path, g_wchan, sizeof g_wchan));
  snprintf(leaf, leaf_cap, "stack");
  ssize_t stack_n = read_small(path, g_stack, sizeof g_stack);
  size_t stack_len = stack_n > 0 ? static_cast<size_t>(stack_n) : 0;

  ap::FieldWriter w(g_payload, sizeof g_payload);
  if (to_.has_request) w.put_u64(ap::field::kRequestId, to_.request);
  w.put_i64(ap::field::kPid, tid);
  w.put_bytes(ap::field::kComm, g_comm, comm_len);
  w.put_bytes(ap::field::kState, &state, 1);
  w.put_bytes(ap::field::kWchan, g_wchan, wchan_len);
  w.put_bytes(ap::field::kData, g_stack, stack_len);
  // Pushed as a reply: a process with many matching threads may go past the kOutput share
  // that can_step() checked for, into the reply reserve.
  if (!w.overflow() && outq().push(ap::MsgType::kTask, w.data(), w.size(), Priority::kReply)) {
    ++reported_;
  }
}

void TaskScan::finish() {
  close(dir_fd_);
  dir_fd_ = -1;
  if (skipped_ > 0) {
    agent_log("scan-tasks: reported %d tasks, left out %d more", reported_, skipped_);
  }
  send_done(to_);
}

}  // namespace wedge::guest
