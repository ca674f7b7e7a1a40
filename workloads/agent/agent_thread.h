// Starts one of the agent's helper threads: detached, on a caller-provided static stack (so
// mlockall has it resident before the thread runs) and with every signal blocked (SIGCHLD
// belongs to the serving loop's signalfd).
//
//   alignas(64) static uint8_t stack[64 * 1024];
//   int err = start_agent_thread(&Worker::thread_main, this, stack, sizeof stack);
//   ... and first thing in thread_main: name_this_thread("wedge-scan");
#pragma once

#include <cstddef>

namespace wedge::guest {

// Starts fn(arg) on a new thread. Returns 0 or an errno.
[[nodiscard]] int start_agent_thread(void* (*fn)(void*), void* arg, void* stack, size_t stack_size);

// Names the calling thread (at most 15 characters), as /proc and sysrq dumps show it. Uses
// prctl: pthread_setname_np would open /proc/self/task/TID/comm.
void name_this_thread(const char* name);

}  // namespace wedge::guest
