// The file worker: one mlocked helper thread, started with the serving loop, that carries out
// kWriteFile and kReadFile. Those can block for a long time in a wedged guest (a write to
// memory.max reclaims, a read of /proc/PID/cmdline waits on mmap_lock) or take long (a
// filtered read goes through all of /proc/kallsyms) and must not hold up heartbeats, sysrq
// or task scans on the main thread.
//
//   FileWorker& w = file_worker();
//   w.start();                                     // once, after mlockall
//   FileRequest* r = w.reserve();                  // main thread; nullptr: queue full
//   ... fill r ...; w.submit();
//   poll(w.reply_fd()) -> w.collect();             // queues finished replies, in order
//
// Slots live in static storage: nothing is allocated after start(). Only the main thread
// touches the out queue; the worker writes each reply into its slot.
#pragma once

#include <limits.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/replies.h"

namespace wedge::guest {

struct FileRequest {
  enum class Kind : uint8_t { kWrite, kRead };
  Kind kind = Kind::kRead;
  ReplyTo to;
  uint64_t offset = 0;  // kRead
  size_t data_len = 0;  // kWrite: bytes in buf
  char path[PATH_MAX] = {};
  // kRead with a filter: only lines holding these bytes (filter_len 0: the plain read).
  char filter[64] = {};
  size_t filter_len = 0;
  // kWrite: the data to write; afterwards, and for kRead, the reply payload.
  uint8_t buf[agent_protocol::kMaxPayload] = {};
  agent_protocol::MsgType reply_type = agent_protocol::MsgType::kDone;
  size_t reply_len = 0;
};

class FileWorker {
 public:
  static constexpr int kSlots = 4;
  // Largest read per request: leaves room in one frame for the path and ids.
  static constexpr size_t kMaxRead = 60 * 1024;

  // Creates the eventfds and the thread (all signals blocked in it). False if that failed
  // (logged); requests are then carried out on the calling thread, as before.
  bool start();
  [[nodiscard]] bool running() const { return running_; }

  // The next free slot, or nullptr when kSlots requests are queued or in progress.
  FileRequest* reserve();
  // Hands the reserved slot to the worker (or, without a worker, runs it right here).
  void submit();
  // Readable when a reply is ready; -1 before start().
  [[nodiscard]] int reply_fd() const { return reply_fd_; }
  // Queues finished replies in request order while the out queue has room for them.
  void collect();
  // True if finished replies are waiting for room in the out queue.
  [[nodiscard]] bool replies_waiting() const;

 private:
  enum State : int { kFree = 0, kQueued = 1, kFinished = 2 };
  static void* thread_main(void* self);
  void work();

  FileRequest slots_[kSlots];
  std::atomic<int> state_[kSlots] = {};
  unsigned head_ = 0;    // main thread: oldest slot not yet collected
  unsigned tail_ = 0;    // main thread: next slot to reserve
  unsigned worker_ = 0;  // worker thread: next slot to carry out
  int work_fd_ = -1;     // eventfd: main -> worker
  int reply_fd_ = -1;    // eventfd: worker -> main
  bool running_ = false;
};

// Carries out one request and fills in its reply (used by the worker; exposed for the
// fallback path). Thread-safe: it only touches r and the worker's read buffer.
void perform_file_request(FileRequest& r);

// The process-wide worker (static storage).
FileWorker& file_worker();

}  // namespace wedge::guest
