// Answers to host requests (kDone, kFailed), shared by the request handlers and the job table.
#pragma once

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

}  // namespace wedge::guest
