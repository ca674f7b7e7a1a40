// Keeps the serving loop out of I/O reclaim with PR_SET_IO_FLUSHER (Linux >= 5.6): a task in
// that state allocates as if with GFP_NOIO, so reclaim on its behalf never writes to (or waits
// on) a swap device that is stuck; it reclaims what needs no I/O instead. Only the serving loop
// gets it, whose allocations are few and small (port writes). When nothing can be reclaimed
// without I/O, a NOIO allocation neither fails nor calls the OOM killer: it retries reclaim
// forever, on the CPU. A guest memory dump of the nbd-loopback deadlock showed the scan and
// cache threads, which open /proc files, spinning that way (state R, PF_MEMALLOC), which kept
// the vCPU busy and made a deadlock look like a livelock; so they, like the file worker, stay
// out of it and sleep in the kernel like any other task instead.
// The state belongs to one thread, is inherited by the threads and processes it creates and
// survives execve; jobs must not get it (a hog or an nbd-server running as IO_FLUSHER is not
// what a scenario tests), so spawning drops it for the moment.
//
//   int err = set_io_flusher(true);       // 0, or an errno (EPERM without CAP_SYS_RESOURCE)
//   { IoFlusherPause pause; posix_spawn(...); }
#pragma once

namespace wedge::guest {

// Puts the calling thread in (or out of) the IO_FLUSHER state; 0 or an errno.
[[nodiscard]] int set_io_flusher(bool on);

// True if the calling thread is in the IO_FLUSHER state.
[[nodiscard]] bool is_io_flusher();

// Takes the calling thread out of the IO_FLUSHER state for its lifetime, so a process created
// meanwhile does not inherit it.
class IoFlusherPause {
 public:
  IoFlusherPause() : was_(is_io_flusher()) {
    if (was_) (void)set_io_flusher(false);
  }
  ~IoFlusherPause() {
    if (was_) (void)set_io_flusher(true);
  }
  IoFlusherPause(const IoFlusherPause&) = delete;
  IoFlusherPause& operator=(const IoFlusherPause&) = delete;

 private:
  bool was_;
};

}  // namespace wedge::guest
