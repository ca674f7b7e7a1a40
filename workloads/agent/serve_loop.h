// The serving loop: after locking memory and opening everything it needs, it polls the port,
// a 1 s timer, a SIGCHLD signalfd, the job pipes and its helper threads' eventfds, and never
// blocks or allocates again.
#pragma once

namespace wedge::guest {

struct ServeConfig {
  int port_fd = -1;             // non-blocking, close-on-exec
  bool port_is_socket = false;  // unix socket: EOF or a write error ends serving
  bool may_power_off = false;   // PID 1 only
  const char* sysrq_path = "/proc/sysrq-trigger";
  bool sysrq_is_plain_file = false;  // --sysrq-path in tests: create the file if missing
  // Where task scans and the task cache list tasks; tests point it at a fake tree.
  const char* proc_root = "/proc";
  // How often the task cache looks for new and exited tasks; 0: no cache (scans open every
  // file they read).
  int task_refresh_ms = 3000;
};

// Serves the protocol on config.port_fd. Returns 0 when a socket peer hangs up or kPoweroff
// stops serve mode, non-zero on a fatal error. On a virtio port it only returns on error:
// a disconnected host is waited for, with output kept in the ring.
int serve(const ServeConfig& config);

// Reaps every exited child without blocking (PID 1 inherits orphans), calling on_exit (if
// given) for each.
void reap_children(void (*on_exit)(int pid, int status, void* ctx), void* ctx);

}  // namespace wedge::guest
