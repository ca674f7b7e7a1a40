// Implementation of io_flusher.h: two prctl calls.
#include "workloads/agent/io_flusher.h"

#include <errno.h>
#include <sys/prctl.h>

// Older libc headers may predate the constants (Linux 5.6).
#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#define PR_GET_IO_FLUSHER 58
#endif

namespace wedge::guest {

int set_io_flusher(bool on) {
  return prctl(PR_SET_IO_FLUSHER, on ? 1UL : 0UL, 0UL, 0UL, 0UL) == 0 ? 0 : errno;
}

bool is_io_flusher() { return prctl(PR_GET_IO_FLUSHER, 0UL, 0UL, 0UL, 0UL) == 1; }

}  // namespace wedge::guest
