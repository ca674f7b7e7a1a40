// Reassembles host frames from the port's byte stream in a static buffer: validates each header
// with decode_header, skips garbage up to the next magic, and hands complete frames on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/requests.h"

namespace wedge::guest {

class InQueue {
 public:
  enum class ReadStatus { kAgain, kEof, kError };

  // Reads everything fd has now, handing each complete frame to requests as it completes.
  // kAgain: the fd is drained; kEof: the peer is gone; kError: read failed (errno set).
  ReadStatus pump(int fd, Requests& requests);

  // Bytes skipped while looking for a valid header since start-up.
  [[nodiscard]] uint64_t skipped() const { return skipped_; }

 private:
  void dispatch(Requests& requests);

  static constexpr size_t kCapacity =
      2 * (agent_protocol::kHeaderSize + agent_protocol::kMaxPayload);
  uint8_t buf_[kCapacity] = {};
  size_t len_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace wedge::guest
