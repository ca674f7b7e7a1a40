// Implementation of outq.h: a byte ring of complete frames with per-class reserves.
#include "workloads/agent/outq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
OutQueue g_outq;

size_t reserve_for(Priority prio) {
  switch (prio) {
    case Priority::kBulk:
      return OutQueue::kBulkReserve;
    case Priority::kOutput:
      return OutQueue::kOutputReserve;
    case Priority::kPeriodic:
      return OutQueue::kPeriodicReserve;
    case Priority::kReply:
      break;
  }
  return 0;
}
}  // namespace

OutQueue& outq() { return g_outq; }

bool OutQueue::has_room_for(size_t len, Priority prio) const {
  if (len > ap::kMaxPayload) return false;
  return ap::kHeaderSize + len + reserve_for(prio) <= kCapacity - used_;
}

bool OutQueue::push(ap::MsgType type, const uint8_t* payload, size_t len, Priority prio) {
  if (!has_room_for(len, prio)) {
    ++dropped_[static_cast<int>(prio)];
    return false;
  }
  uint8_t header[ap::kHeaderSize];
  ap::encode_header(header, type, seq_++, static_cast<uint32_t>(len));
  put(header, sizeof header);
  put(payload, len);
  return true;
}

void OutQueue::put(const uint8_t* data, size_t len) {
  size_t first = len < kCapacity - head_ ? len : kCapacity - head_;
  memcpy(ring_ + head_, data, first);
  if (len > first) memcpy(ring_, data + first, len - first);
  head_ = (head_ + len) % kCapacity;
  used_ += len;
}

bool OutQueue::flush(int fd) {
  while (used_ > 0) {
    size_t chunk = kCapacity - tail_;
    if (chunk > used_) chunk = used_;
    ssize_t n = write(fd, ring_ + tail_, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN;
    }
    tail_ = (tail_ + static_cast<size_t>(n)) % kCapacity;
    used_ -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace wedge::guest
