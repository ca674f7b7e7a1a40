// Implementation of replies.h: small frames built on the stack and queued with reply priority.
#include "workloads/agent/replies.h"

#include <stdio.h>

#include "workloads/agent/outq.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
void put_ids(ap::FieldWriter& w, const ReplyTo& to) {
  if (to.has_job) w.put_u64(ap::field::kJobId, to.job);
  if (to.has_request) w.put_u64(ap::field::kRequestId, to.request);
}
}  // namespace

size_t build_done(uint8_t* out, size_t cap, const ReplyTo& to) {
  ap::FieldWriter w(out, cap);
  put_ids(w, to);
  return w.size();
}

size_t build_failed(uint8_t* out, size_t cap, const ReplyTo& to, int err, const char* what) {
  char text[768];
  int n = snprintf(text, sizeof text, "%s: %s", what, errno_text(err));
  size_t len =
      n < 0 ? 0 : (static_cast<size_t>(n) < sizeof text ? static_cast<size_t>(n) : sizeof text - 1);
  ap::FieldWriter w(out, cap);
  put_ids(w, to);
  w.put_i64(ap::field::kErrno, err);
  w.put_bytes(ap::field::kText, text, len);
  return w.size();
}

void send_done(const ReplyTo& to) {
  uint8_t payload[64];
  size_t len = build_done(payload, sizeof payload, to);
  outq().push(ap::MsgType::kDone, payload, len, Priority::kReply);
}

void send_failed(const ReplyTo& to, int err, const char* what) {
  uint8_t payload[900];
  size_t len = build_failed(payload, sizeof payload, to, err, what);
  outq().push(ap::MsgType::kFailed, payload, len, Priority::kReply);
}

}  // namespace wedge::guest
