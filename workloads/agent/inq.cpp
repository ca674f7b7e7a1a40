// Implementation of inq.h: read, scan for kMagic, check the header, dispatch, compact.
#include "workloads/agent/inq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
// Offset of the first position in buf that may start a frame (a full or partial magic).
size_t find_magic(const uint8_t* buf, size_t len) {
  uint8_t magic[4];
  ap::store_u32(magic, ap::kMagic);
  for (size_t i = 0; i < len; ++i) {
    size_t n = len - i < 4 ? len - i : 4;
    if (memcmp(buf + i, magic, n) == 0) return i;
  }
  return len;
}
}  // namespace

InQueue::ReadStatus InQueue::pump(int fd, Requests& requests) {
  for (;;) {
    ssize_t n = read(fd, buf_ + len_, kCapacity - len_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN ? ReadStatus::kAgain : ReadStatus::kError;
    }
    if (n == 0) return ReadStatus::kEof;
    len_ += static_cast<size_t>(n);
    dispatch(requests);
  }
}

void InQueue::dispatch(Requests& requests) {
  size_t pos = 0;
  while (len_ - pos >= ap::kHeaderSize) {
    size_t start = pos + find_magic(buf_ + pos, len_ - pos);
    skipped_ += start - pos;
    pos = start;
    if (len_ - pos < ap::kHeaderSize) break;
    ap::FrameHeader h{};
    if (!ap::decode_header(buf_ + pos, &h)) {
      ++skipped_;
      ++pos;  // a false magic: look again one byte on
      continue;
    }
    if (len_ - pos < ap::kHeaderSize + h.length) break;  // wait for the rest
    requests.handle(h.type, buf_ + pos + ap::kHeaderSize, h.length);
    pos += ap::kHeaderSize + h.length;
  }
  // The buffer holds two maximal frames, so after compaction a whole frame always fits.
  if (pos > 0) {
    memmove(buf_, buf_ + pos, len_ - pos);
    len_ -= pos;
  }
}

}  // namespace wedge::guest
