// Answers to host requests (kDone, kFailed), shared by the request handlers, the job table and
// the file worker (which builds payloads into its own buffers and never touches the queue).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wedge::guest {

// Which request or job an answer refers to; absent ids are left out of the frame.
struct ReplyTo {
  bool has_job = false;
  uint64_t job = 0;
  bool has_request = false;
  uint64_t request = 0;
};

// kDone with the ids in to.
void send_done(const ReplyTo& to);
// kFailed with the ids in to, kErrno = err and kText = "<what>: <strerror(err)>".
void send_failed(const ReplyTo& to, int err, const char* what);

// The payloads of the two frames above, written into out (cap >= 1024 is always enough);
// return the payload length. Thread-safe: no shared state.
size_t build_done(uint8_t* out, size_t cap, const ReplyTo& to);
size_t build_failed(uint8_t* out, size_t cap, const ReplyTo& to, int err, const char* what);

}  // namespace wedge::guest
