// Whether the host's storage server holds requests the guest sent, from the relay's counters
// sampled over the run: a server that holds them is the cause of the hang, not the guest
// tasks waiting for it.
//
// The byte counts alone cannot say it: a guest whose sender got stuck halfway through a
// request (in its own transmit path, short of memory) leaves the server waiting, correctly,
// for the rest, and the server looks just as silent. So silence comes in two strengths:
// - kStoppedReading, proof: bytes toward the server stayed queued at every look for
//   unread_window_s and the server sent nothing meanwhile (the relay could not hand them over,
//   the server's receive window is closed). Queued bytes are requests, or parts of them, the
//   server has not even read, so this holds also when the relay, backed up, stopped reading
//   the guest in the same second as the server's last answer. A server SIGSTOPped under a
//   writing guest.
// - kUnanswered, a suspicion: requests wait and the server took every byte and answered
//   nothing for silent_window_s. Either the server holds them or the guest never finished
//   sending; hang_title.h decides with the guest's stacks (a sender stuck in its transmit
//   path is the cause, else the server is).
//
//   ServerSilence silence;
//   silence.observe(t, s.bytes_from_guest, s.bytes_to_guest, s.bytes_queued_to_server);
//   switch (silence.silence_at(now, 5, 3)) { case Silence::kStoppedReading: ... }
#pragma once

#include <cstdint>

namespace wedge::detect {

enum class Silence {
  kAnswering,       // nothing waits, or not for long: the server answered since
  kUnanswered,      // requests wait and the server sent nothing since; nothing proves it
                    // stopped reading (it took every byte, at least at times)
  kStoppedReading,  // bytes toward the server stay queued, no answer: it stopped reading
};

class ServerSilence {
 public:
  // The relay's counters at run time t_s (never decreasing; a restarted relay's smaller
  // counts start afresh) and the bytes queued toward the server at that moment.
  void observe(double t_s, uint64_t bytes_from_guest, uint64_t bytes_to_guest,
               uint64_t bytes_queued_to_server = 0);
  // How long requests have waited for a server that has sent nothing since: from the first
  // observation where the guest had sent more after the server's last bytes, to now_s. 0 when
  // nothing waits (the server answered since, or the guest sent nothing new).
  [[nodiscard]] double silent_with_requests_s(double now_s) const;
  // How long, up to now_s, bytes toward the server have stayed queued at every observation
  // while the server sent nothing: 0 when the last look found the queue empty.
  [[nodiscard]] double stopped_reading_s(double now_s) const;
  // kStoppedReading when stopped_reading_s(now_s) >= unread_window_s, else kUnanswered when
  // silent_with_requests_s(now_s) >= silent_window_s, else kAnswering.
  [[nodiscard]] Silence silence_at(double now_s, double silent_window_s,
                                   double unread_window_s) const;

 private:
  bool seen_ = false;
  uint64_t from_guest_ = 0;
  uint64_t to_guest_ = 0;
  bool waiting_ = false;  // the guest sent bytes the server has not answered yet
  double waiting_since_s_ = 0;
  bool queued_ = false;  // the last observation found bytes queued toward the server
  double queued_since_s_ = 0;
  double answered_s_ = 0;  // the last observation that found the server had sent more
};

}  // namespace wedge::detect
