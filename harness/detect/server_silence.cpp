// Implementation of server_silence.h.
#include "harness/detect/server_silence.h"

#include <algorithm>

namespace wedge::detect {

void ServerSilence::observe(double t_s, uint64_t bytes_from_guest, uint64_t bytes_to_guest,
                            uint64_t bytes_queued_to_server) {
  const bool restarted = seen_ && (bytes_from_guest < from_guest_ || bytes_to_guest < to_guest_);
  if (!seen_ || restarted) {
    seen_ = true;
    waiting_ = false;
    queued_ = false;
    answered_s_ = t_s;
  } else if (bytes_to_guest > to_guest_) {
    waiting_ = false;  // the server answered (what it answered we cannot tell: all of it)
    answered_s_ = t_s;
  } else if (bytes_from_guest > from_guest_ && !waiting_) {
    waiting_ = true;
    waiting_since_s_ = t_s;
  }
  if (bytes_queued_to_server == 0) {
    queued_ = false;
  } else if (!queued_) {
    queued_ = true;
    queued_since_s_ = t_s;
  }
  from_guest_ = bytes_from_guest;
  to_guest_ = bytes_to_guest;
}

double ServerSilence::silent_with_requests_s(double now_s) const {
  return waiting_ && now_s > waiting_since_s_ ? now_s - waiting_since_s_ : 0;
}

double ServerSilence::stopped_reading_s(double now_s) const {
  if (!queued_) return 0;
  const double since = std::max(answered_s_, queued_since_s_);
  return now_s > since ? now_s - since : 0;
}

Silence ServerSilence::silence_at(double now_s, double silent_window_s,
                                  double unread_window_s) const {
  if (queued_ && stopped_reading_s(now_s) >= unread_window_s) {
    return Silence::kStoppedReading;
  }
  if (waiting_ && silent_with_requests_s(now_s) >= silent_window_s) return Silence::kUnanswered;
  return Silence::kAnswering;
}

}  // namespace wedge::detect
