// Implementation of server_silence.h.
#include "harness/detect/server_silence.h"

namespace wedge::detect {

void ServerSilence::observe(double t_s, uint64_t bytes_from_guest, uint64_t bytes_to_guest) {
  const bool restarted = seen_ && (bytes_from_guest < from_guest_ || bytes_to_guest < to_guest_);
  if (!seen_ || restarted) {
    seen_ = true;
    waiting_ = false;
  } else if (bytes_to_guest > to_guest_) {
    waiting_ = false;  // the server answered (what it answered we cannot tell: all of it)
  } else if (bytes_from_guest > from_guest_ && !waiting_) {
    waiting_ = true;
    waiting_since_s_ = t_s;
  }
  from_guest_ = bytes_from_guest;
  to_guest_ = bytes_to_guest;
}

double ServerSilence::silent_with_requests_s(double now_s) const {
  return waiting_ && now_s > waiting_since_s_ ? now_s - waiting_since_s_ : 0;
}

}  // namespace wedge::detect
