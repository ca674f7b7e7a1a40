// Whether the host's storage server answered what the guest sent, from the relay's byte
// counters sampled over the run: a server that sends nothing while requests the guest sent
// after its last answer wait is the cause of the hang, not the guest tasks waiting for it.
//
//   ServerSilence silence;
//   silence.observe(t, stats.bytes_from_guest, stats.bytes_to_guest);  // once a second
//   if (silence.silent_with_requests_s(now) >= 5) title = server_silent_title("iscsi");
#pragma once

#include <cstdint>

namespace wedge::detect {

class ServerSilence {
 public:
  // The relay's counters at run time t_s (never decreasing; a restarted relay's smaller
  // counts start afresh).
  void observe(double t_s, uint64_t bytes_from_guest, uint64_t bytes_to_guest);
  // How long requests have waited for a server that has sent nothing since: from the first
  // observation where the guest had sent more after the server's last bytes, to now_s. 0 when
  // nothing waits (the server answered since, or the guest sent nothing new).
  [[nodiscard]] double silent_with_requests_s(double now_s) const;

 private:
  bool seen_ = false;
  uint64_t from_guest_ = 0;
  uint64_t to_guest_ = 0;
  bool waiting_ = false;  // the guest sent bytes the server has not answered yet
  double waiting_since_s_ = 0;
};

}  // namespace wedge::detect
