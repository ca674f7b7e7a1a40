// Puts the guest's swap on NBD through the agent: modprobe nbd, nbd-client to the host's
// server (through wedge's relay) or, for the nbd-loopback transport, to an nbd-server started
// inside the guest on the guest's own virtio disk; then mkswap and swapon /dev/nbd0.
//
//   WEDGE_CHECK(setup_guest_swap(session, progress, timeouts, {.host_port = server.guest_port()}));
#pragma once

#include "harness/run/guest_session.h"
#include "harness/run/progress.h"
#include "harness/util/result.h"
#include "harness/util/timeouts.h"

namespace wedge::run {

struct SwapTarget {
  int host_port = 0;      // the host server's port as the guest reaches it
  bool loopback = false;  // nbd-loopback: serve /dev/vda from inside the guest instead
};

// The port nbd-server listens on inside the guest for nbd-loopback.
inline constexpr int kGuestNbdPort = 10809;

[[nodiscard]] Status setup_guest_swap(GuestSession& session, Progress& progress,
                                      const Timeouts& timeouts, const SwapTarget& target);

}  // namespace wedge::run
