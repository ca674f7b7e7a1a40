// Implementation of file_worker.h: a single-producer/single-consumer ring of request slots,
// two eventfds, and the blocking file I/O that used to run on the serving loop (plain and
// line-filtered reads, writes).
#include "workloads/agent/file_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "workloads/agent/agent_thread.h"
#include "workloads/agent/log.h"
#include "workloads/agent/outq.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
FileWorker g_worker;
// The worker's stack: static, so mlockall has it resident before the thread ever runs.
constexpr size_t kStackSize = 64 * 1024;
alignas(64) uint8_t g_stack[kStackSize];
// Only the thread that performs requests uses these (the worker, or the main thread without
// one). A filtered read reads into g_read_buf and keeps the matching lines in g_lines_buf.
uint8_t g_read_buf[FileWorker::kMaxRead];
uint8_t g_lines_buf[FileWorker::kMaxRead];

void fail(FileRequest& r, int err, const char* verb) {
  char what[PATH_MAX + 32];
  snprintf(what, sizeof what, "%s %s", verb, r.path);
  r.reply_type = ap::MsgType::kFailed;
  r.reply_len = build_failed(r.buf, sizeof r.buf, r.to, err, what);
}

void write_request(FileRequest& r) {
  // Shell-redirect semantics ("echo x > path"): sysctl, sysfs and cgroup files take it too.
  int fd = open(r.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    fail(r, errno, "open");
    return;
  }
  bool ok = write_all(fd, r.buf, r.data_len);
  int err = errno;
  if (close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) {
    fail(r, err, "write");
    return;
  }
  r.reply_type = ap::MsgType::kDone;
  r.reply_len = build_done(r.buf, sizeof r.buf, r.to);
}

// Bytes of reply data that fit in one frame next to the ids, path, offsets and filter.
size_t data_room(const FileRequest& r) {
  size_t cap = ap::kMaxPayload - 160 - strlen(r.path) - r.filter_len;
  return cap > FileWorker::kMaxRead ? FileWorker::kMaxRead : cap;
}

// The lines of the file holding r.filter, read sequentially from r.offset (seq_file /proc
// files like kallsyms are cheap to read in order, costly to pread at an offset). Stops when
// the next matching line would not fit: *next_offset is then where it starts, else 0.
// Returns the bytes kept in g_lines_buf, or -1 with errno.
ssize_t read_matching_lines(int fd, const FileRequest& r, uint64_t* next_offset) {
  *next_offset = 0;
  if (r.offset > 0 && lseek(fd, static_cast<off_t>(r.offset), SEEK_SET) < 0) return -1;
  size_t room = data_room(r), kept = 0, have = 0;
  uint64_t base = r.offset;            // file offset of g_read_buf[0]
  bool eof = false, skipping = false;  // skipping: the rest of a line longer than the buffer
  while (!eof) {
    ssize_t n = read(fd, g_read_buf + have, sizeof g_read_buf - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return -1;
    if (n <= 0) eof = true;
    if (n > 0) have += static_cast<size_t>(n);
    size_t start = 0;
    for (;;) {
      auto* nl = static_cast<uint8_t*>(memchr(g_read_buf + start, '\n', have - start));
      // At the end of the file, a last line without a newline counts too.
      if (nl == nullptr && !(eof && start < have)) break;
      size_t len = nl ? static_cast<size_t>(nl - (g_read_buf + start)) + 1 : have - start;
      bool match = !skipping && memmem(g_read_buf + start, len, r.filter, r.filter_len) != nullptr;
      skipping = false;
      if (match && kept + len > room && kept > 0) {
        *next_offset = base + start;
        return static_cast<ssize_t>(kept);
      }
      if (match && len <= room) {
        memcpy(g_lines_buf + kept, g_read_buf + start, len);
        kept += len;
      }
      start += len;
    }
    if (start == 0 && have == sizeof g_read_buf) {
      start = have;  // one line fills the buffer: drop it, and the rest of it that follows
      skipping = true;
    }
    memmove(g_read_buf, g_read_buf + start, have - start);
    have -= start;
    base += start;
  }
  return static_cast<ssize_t>(kept);
}

void filtered_read_request(FileRequest& r, int fd) {
  uint64_t next_offset = 0;
  ssize_t kept = read_matching_lines(fd, r, &next_offset);
  int err = errno;
  close(fd);
  if (kept < 0) {
    fail(r, err, "read");
    return;
  }
  ap::FieldWriter w(r.buf, sizeof r.buf);
  if (r.to.has_request) w.put_u64(ap::field::kRequestId, r.to.request);
  w.put_str(ap::field::kPath, r.path);
  w.put_u64(ap::field::kOffset, r.offset);
  w.put_bytes(ap::field::kFilter, r.filter, r.filter_len);
  if (next_offset != 0) w.put_u64(ap::field::kNextOffset, next_offset);
  w.put_bytes(ap::field::kData, g_lines_buf, static_cast<size_t>(kept));
  r.reply_type = ap::MsgType::kFile;
  r.reply_len = w.size();
}

void read_request(FileRequest& r) {
  // O_NONBLOCK: a FIFO without a writer must not stall even the worker.
  int fd = open(r.path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    fail(r, errno, "open");
    return;
  }
  if (r.filter_len > 0) {
    filtered_read_request(r, fd);
    return;
  }
  size_t path_len = strlen(r.path);
  size_t cap = data_room(r);
  size_t used = 0;
  // pread from the offset so the host can page through big files (/proc/kallsyms); pipes
  // and other unseekable files can only be read from their start.
  bool seekable = true;
  while (used < cap) {
    ssize_t n = seekable
                    ? pread(fd, g_read_buf + used, cap - used, static_cast<off_t>(r.offset + used))
                    : read(fd, g_read_buf + used, cap - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ESPIPE && seekable && r.offset == 0) {
      seekable = false;
      continue;
    }
    if (n < 0 && errno == EAGAIN && used > 0) break;
    if (n < 0) {
      int err = errno;
      close(fd);
      fail(r, err, "read");
      return;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  close(fd);
  ap::FieldWriter w(r.buf, sizeof r.buf);
  if (r.to.has_request) w.put_u64(ap::field::kRequestId, r.to.request);
  w.put_bytes(ap::field::kPath, r.path, path_len);
  w.put_u64(ap::field::kOffset, r.offset);
  w.put_bytes(ap::field::kData, g_read_buf, used);
  r.reply_type = ap::MsgType::kFile;
  r.reply_len = w.size();
}
}  // namespace

FileWorker& file_worker() { return g_worker; }

void perform_file_request(FileRequest& r) {
  if (r.kind == FileRequest::Kind::kWrite) {
    write_request(r);
  } else {
    read_request(r);
  }
}

bool FileWorker::start() {
  work_fd_ = eventfd(0, EFD_CLOEXEC);
  reply_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (work_fd_ < 0 || reply_fd_ < 0) {
    agent_log("file worker: eventfd: %s", errno_text(errno));
    return false;
  }
  // Never takes a signal: SIGCHLD belongs to the main thread's signalfd.
  int rc = start_agent_thread(&FileWorker::thread_main, this, g_stack, sizeof g_stack);
  if (rc != 0) {
    agent_log("file worker: pthread_create: %s", errno_text(rc));
    return false;
  }
  running_ = true;
  return true;
}

void* FileWorker::thread_main(void* self) {
  static_cast<FileWorker*>(self)->work();
  return nullptr;
}

void FileWorker::work() {
  for (;;) {
    uint64_t count;
    if (read(work_fd_, &count, sizeof count) < 0 && errno != EINTR) {
      sleep_ms(100);  // cannot happen with a valid eventfd; never spin
      continue;
    }
    for (;;) {
      unsigned index = worker_ % kSlots;
      if (state_[index].load(std::memory_order_acquire) != kQueued) break;
      perform_file_request(slots_[index]);
      state_[index].store(kFinished, std::memory_order_release);
      ++worker_;
      uint64_t one = 1;
      (void)write(reply_fd_, &one, sizeof one);
    }
  }
}

FileRequest* FileWorker::reserve() {
  unsigned index = tail_ % kSlots;
  if (state_[index].load(std::memory_order_acquire) != kFree) return nullptr;
  FileRequest& r = slots_[index];
  r.to = ReplyTo{};
  r.offset = 0;
  r.data_len = 0;
  r.path[0] = '\0';
  r.filter_len = 0;
  r.reply_len = 0;
  return &r;
}

void FileWorker::submit() {
  unsigned index = tail_ % kSlots;
  ++tail_;
  if (!running_) {
    perform_file_request(slots_[index]);
    state_[index].store(kFinished, std::memory_order_release);
    collect();
    return;
  }
  state_[index].store(kQueued, std::memory_order_release);
  uint64_t one = 1;
  (void)write(work_fd_, &one, sizeof one);
}

void FileWorker::collect() {
  if (reply_fd_ >= 0) {
    uint64_t count;
    (void)read(reply_fd_, &count, sizeof count);
  }
  while (head_ != tail_) {
    unsigned index = head_ % kSlots;
    if (state_[index].load(std::memory_order_acquire) != kFinished) return;
    FileRequest& r = slots_[index];
    // Left in place while the ring is full: the port's POLLOUT brings the loop back here.
    if (!outq().has_room_for(r.reply_len, Priority::kReply)) return;
    outq().push(r.reply_type, r.buf, r.reply_len, Priority::kReply);
    state_[index].store(kFree, std::memory_order_release);
    ++head_;
  }
}

bool FileWorker::replies_waiting() const {
  return head_ != tail_ && state_[head_ % kSlots].load(std::memory_order_acquire) == kFinished;
}

}  // namespace wedge::guest
