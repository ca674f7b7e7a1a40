// The per-thread /proc files a task scan reads (stat, wchan, stack under
// /proc/PID/task/TID/), shared by the task cache and the task scan: listing numeric
// directories with getdents64, opening a thread's files relative to its process's open task/
// directory, and reading them with pread into the caller's buffers. Nothing here allocates in
// user space, and re-reading a file that is already open costs the kernel no dentry, inode or
// struct file, which a wedged guest may not be able to give.
//
//   TaskFiles f;
//   if (open_task_files(task_dir_fd, pid, tid, &f)) {
//     if (read_task_stat(f.fds[kStatFile], &text) && text.state == 'D') read_task_detail(f, &text);
//     close_task_files(&f);
//   }
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

#include "workloads/agent/replies.h"

namespace wedge::guest {

// Indexes into TaskFiles::fds. The name (comm) comes from stat, which holds the same text.
enum : int { kStatFile = 0, kWchanFile = 1, kStackFile = 2, kTaskFileCount = 3 };

// "stat", "wchan" or "stack".
const char* task_file_name(int which);

// One thread's open files; fds[i] == -1: not open (another user's stack without root).
struct TaskFiles {
  pid_t pid = 0;  // thread group
  pid_t tid = 0;  // 0: the entry is free
  int fds[kTaskFileCount] = {-1, -1, -1};
};

// What one thread's files said, in buffers owned by the reading thread.
struct TaskText {
  static constexpr size_t kMaxStack = 8 * 1024;
  char stat[1024] = {};
  char state = 0;
  const char* comm = nullptr;  // points into stat
  size_t comm_len = 0;
  long threads = 0;  // num_threads (stat field 20) of the thread group; 0 if not given
  char wchan[256] = {};
  size_t wchan_len = 0;
  char stack[kMaxStack] = {};
  size_t stack_len = 0;
};

// Opens TID/NAME under a process's open task/ directory; -1 (errno set) if it cannot.
int open_task_file(int task_dir_fd, pid_t tid, int which);
// Opens all of a thread's files. False (nothing left open) if stat cannot be opened: the
// thread is gone.
bool open_task_files(int task_dir_fd, pid_t pid, pid_t tid, TaskFiles* out);
void close_task_files(TaskFiles* f);
// Reads each open file once, a few bytes: the kernel allocates each file's seq_file buffer now
// and keeps it, so later reads at hang time need no new kernel memory for it.
void warm_task_files(const TaskFiles& f);

// Reads stat: the state letter and the name. False if the thread is gone (ESRCH) or the text
// is not a stat line.
bool read_task_stat(int stat_fd, TaskText* t);
// Reads wchan and stack; a file that is not open or cannot be read reads as empty.
void read_task_detail(const TaskFiles& f, TaskText* t);

// Bytes a kTask payload can take at most.
inline constexpr size_t kTaskPayloadCap = TaskText::kMaxStack + 1024;
// Writes a kTask payload for thread tid into out; returns its length (0 if it did not fit).
size_t build_task_payload(uint8_t* out, size_t cap, const ReplyTo& to, pid_t tid,
                          const TaskText& t);

// A decimal directory entry name as a pid; false for ".", "..", "self", "sys", ...
bool parse_pid(const char* name, pid_t* pid);

// Lists the numeric entries of a directory from its start (it rewinds fd), reading with
// getdents64 into buf: while (dir.next(&pid)) {...}
class PidDir {
 public:
  PidDir(int fd, char* buf, size_t cap);
  // The next numeric entry; false at the end of the listing or on an error (failed()).
  bool next(pid_t* pid);
  [[nodiscard]] bool failed() const { return failed_; }

 private:
  int fd_;
  char* buf_;
  size_t cap_;
  size_t pos_ = 0;
  size_t len_ = 0;
  bool eof_ = false;
  bool failed_ = false;
};

}  // namespace wedge::guest
