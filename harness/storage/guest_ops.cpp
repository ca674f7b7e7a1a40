// Implementation of the helpers in guest_ops.h.
#include "harness/storage/guest_ops.h"

namespace wedge::storage {

Status wait_in_guest(GuestOps& guest, const std::function<Result<bool>()>& ready,
                     std::chrono::milliseconds timeout, const std::string& what) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = ready();
    if (r.ok() && *r) return ok_status();
    if (!r.ok()) last_error = r.error().message();
    guest.wait(std::chrono::milliseconds(100));
  }
  return make_error("{}: not ready within {} ms{}", what, timeout.count(),
                    last_error.empty() ? "" : " (last error: " + last_error + ")");
}

}  // namespace wedge::storage
