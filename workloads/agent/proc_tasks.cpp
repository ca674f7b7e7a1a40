// Implementation of proc_tasks.h: openat relative to task/ directories, pread of small /proc
// files, the kTask payload, and a resumable getdents64 reader.
#include "workloads/agent/proc_tasks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
constexpr const char* kNames[kTaskFileCount] = {"stat", "wchan", "stack"};
// struct linux_dirent64 as the kernel lays it out: d_ino (8), d_off (8), d_reclen (2),
// d_type (1), then the NUL-terminated name.
constexpr size_t kDirentNameOffset = 19;

size_t strip_newline(const char* buf, ssize_t n) {
  if (n <= 0) return 0;
  size_t len = static_cast<size_t>(n);
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0')) --len;
  return len;
}

// stat's num_threads, counting from 1 as proc(5) does; the state is field 3.
constexpr int kNumThreadsField = 20;

// The decimal value of a stat field after the state (field >= 4); 0 if absent or malformed.
long stat_field_after_state(const char* state, const char* end, int field) {
  const char* p = state;
  for (int i = 3; i < field; ++i) {
    p = static_cast<const char*>(memchr(p, ' ', static_cast<size_t>(end - p)));
    if (p == nullptr) return 0;
    ++p;
  }
  long v = 0;
  for (; p < end && *p >= '0' && *p <= '9' && v < 100000000; ++p) v = v * 10 + (*p - '0');
  return v;
}

size_t read_into(int fd, char* buf, size_t cap) {
  if (fd < 0) return 0;
  ssize_t n = pread_whole(fd, buf, cap);
  return n > 0 ? static_cast<size_t>(n) : 0;
}
}  // namespace

const char* task_file_name(int which) { return kNames[which]; }

int open_task_file(int task_dir_fd, pid_t tid, int which) {
  char path[40];
  snprintf(path, sizeof path, "%d/%s", static_cast<int>(tid), kNames[which]);
  return openat(task_dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

bool open_task_files(int task_dir_fd, pid_t pid, pid_t tid, TaskFiles* out) {
  TaskFiles f;
  f.fds[kStatFile] = open_task_file(task_dir_fd, tid, kStatFile);
  if (f.fds[kStatFile] < 0) return false;
  f.fds[kWchanFile] = open_task_file(task_dir_fd, tid, kWchanFile);
  f.fds[kStackFile] = open_task_file(task_dir_fd, tid, kStackFile);
  f.pid = pid;
  f.tid = tid;
  *out = f;
  return true;
}

void close_task_files(TaskFiles* f) {
  for (int& fd : f->fds) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  f->pid = f->tid = 0;
}

void warm_task_files(const TaskFiles& f) {
  char scratch[16];
  for (int fd : f.fds) {
    if (fd >= 0) (void)pread(fd, scratch, sizeof scratch, 0);
  }
}

bool read_task_stat(int stat_fd, TaskText* t) {
  size_t n = read_into(stat_fd, t->stat, sizeof t->stat - 1);
  if (n == 0) return false;
  t->stat[n] = '\0';
  // "pid (comm) S ...": comm may hold spaces and parentheses, the state follows the last ')'.
  const char* open = static_cast<const char*>(memchr(t->stat, '(', n));
  const char* close_paren = static_cast<const char*>(memrchr(t->stat, ')', n));
  if (open == nullptr || close_paren == nullptr || close_paren < open ||
      close_paren + 2 >= t->stat + n) {
    return false;
  }
  t->state = close_paren[2];
  t->comm = open + 1;
  t->comm_len = static_cast<size_t>(close_paren - open - 1);
  t->threads = stat_field_after_state(close_paren + 2, t->stat + n, kNumThreadsField);
  return t->state != '\0';
}

void read_task_detail(const TaskFiles& f, TaskText* t) {
  ssize_t wchan = static_cast<ssize_t>(read_into(f.fds[kWchanFile], t->wchan, sizeof t->wchan));
  t->wchan_len = strip_newline(t->wchan, wchan);
  t->stack_len = read_into(f.fds[kStackFile], t->stack, sizeof t->stack);
}

size_t build_task_payload(uint8_t* out, size_t cap, const ReplyTo& to, pid_t tid,
                          const TaskText& t) {
  ap::FieldWriter w(out, cap);
  if (to.has_request) w.put_u64(ap::field::kRequestId, to.request);
  w.put_i64(ap::field::kPid, tid);
  w.put_bytes(ap::field::kComm, t.comm, t.comm_len);
  w.put_bytes(ap::field::kState, &t.state, 1);
  w.put_bytes(ap::field::kWchan, t.wchan, t.wchan_len);
  w.put_bytes(ap::field::kData, t.stack, t.stack_len);
  return w.overflow() ? 0 : w.size();
}

bool parse_pid(const char* name, pid_t* pid) {
  uint64_t v = 0;
  if (!parse_decimal(name, &v) || v == 0 || v > 0x7fffffff) return false;
  *pid = static_cast<pid_t>(v);
  return true;
}

PidDir::PidDir(int fd, char* buf, size_t cap) : fd_(fd), buf_(buf), cap_(cap) {
  if (lseek(fd_, 0, SEEK_SET) != 0) failed_ = eof_ = true;
}

bool PidDir::next(pid_t* pid) {
  for (;;) {
    if (pos_ >= len_) {
      if (eof_) return false;
      long n = syscall(SYS_getdents64, fd_, buf_, cap_);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = n < 0;
        eof_ = true;
        return false;
      }
      pos_ = 0;
      len_ = static_cast<size_t>(n);
    }
    uint16_t reclen;
    memcpy(&reclen, buf_ + pos_ + 16, sizeof reclen);
    if (reclen == 0) {
      failed_ = eof_ = true;
      return false;
    }
    const char* name = buf_ + pos_ + kDirentNameOffset;
    pos_ += reclen;
    if (parse_pid(name, pid)) return true;
  }
}

}  // namespace wedge::guest
