// Implementation of agent_thread.h: pthread attributes and a fully blocked signal mask.
#include "workloads/agent/agent_thread.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>

namespace wedge::guest {

int start_agent_thread(void* (*fn)(void*), void* arg, void* stack, size_t stack_size) {
  pthread_attr_t attr;
  int rc = pthread_attr_init(&attr);
  if (rc != 0) return rc;
  rc = pthread_attr_setstack(&attr, stack, stack_size);
  if (rc == 0) rc = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // The new thread starts with the mask in force while it is created.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_t thread;
  if (rc == 0) rc = pthread_create(&thread, &attr, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  pthread_attr_destroy(&attr);
  return rc;
}

void name_this_thread(const char* name) { prctl(PR_SET_NAME, name, 0UL, 0UL, 0UL); }

}  // namespace wedge::guest
