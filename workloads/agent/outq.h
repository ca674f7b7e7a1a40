// The outgoing frame ring: whole frames queue in one static buffer and drain to the port with
// non-blocking writes whenever it accepts them. When space runs short, bulk samples are refused
// first, then periodic frames, so replies, job output and exits still get through.
#pragma once

#include <cstddef>
#include <cstdint>

#include "harness/agent_protocol/protocol.h"

namespace wedge::guest {

// What a frame may displace: kBulk (samples) gives up first, kReply (answers, exits) last.
// kOutput only gates reading job pipes: output already read is queued as kReply, never
// dropped, and a job whose output cannot be queued waits on its full pipe.
enum class Priority : uint8_t { kBulk = 0, kOutput = 1, kPeriodic = 2, kReply = 3 };

class OutQueue {
 public:
  static constexpr size_t kCapacity = 4u << 20;
  // Free space each class must leave behind, so lower classes can never starve higher ones.
  static constexpr size_t kBulkReserve = 1u << 20;
  static constexpr size_t kOutputReserve = 512u << 10;
  static constexpr size_t kPeriodicReserve = 256u << 10;

  // Queues one frame (header + payload) and gives it the next sequence number. Returns false
  // and counts a drop when the class's share of the ring is used up.
  bool push(agent_protocol::MsgType type, const uint8_t* payload, size_t len, Priority prio);

  // True if a frame with a len-byte payload of class prio would be accepted now.
  [[nodiscard]] bool has_room_for(size_t len, Priority prio) const;

  // Writes as much as fd accepts without blocking. False on a hard write error (errno set);
  // EAGAIN is not an error.
  bool flush(int fd);

  // Counts a frame of class prio that was given up before it was even built.
  void note_drop(Priority prio) { ++dropped_[static_cast<int>(prio)]; }

  [[nodiscard]] bool empty() const { return used_ == 0; }
  [[nodiscard]] size_t used() const { return used_; }
  [[nodiscard]] uint64_t dropped(Priority prio) const { return dropped_[static_cast<int>(prio)]; }
  [[nodiscard]] uint64_t dropped_total() const {
    return dropped_[0] + dropped_[1] + dropped_[2] + dropped_[3];
  }

 private:
  void put(const uint8_t* data, size_t len);

  uint8_t ring_[kCapacity] = {};
  size_t head_ = 0;  // next byte to fill
  size_t tail_ = 0;  // next byte to send
  size_t used_ = 0;
  uint32_t seq_ = 0;
  uint64_t dropped_[4] = {};
};

// The process-wide queue (a static object: no allocation, locked by mlockall).
OutQueue& outq();

}  // namespace wedge::guest
