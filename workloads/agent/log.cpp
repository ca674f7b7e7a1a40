// Implementation of log.h: formats into stack buffers (no allocation), writes one record.
#include "workloads/agent/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "workloads/agent/util.h"

namespace wedge::guest {

namespace ap = agent_protocol;

namespace {
int g_diag_fd = STDERR_FILENO;
bool g_kmsg = false;

void vlog(Priority prio, const char* format, va_list args) {
  char text[512];
  int n = vsnprintf(text, sizeof text, format, args);
  if (n < 0) return;
  size_t len = static_cast<size_t>(n) < sizeof text ? static_cast<size_t>(n) : sizeof text - 1;
  char line[600];
  // kmsg takes one record per write and reads its level from the "<N>" prefix.
  int m = snprintf(line, sizeof line, "%swedge-agent: %.*s\n", g_kmsg ? "<6>" : "",
                   static_cast<int>(len), text);
  if (m > 0) {
    size_t line_len =
        static_cast<size_t>(m) < sizeof line ? static_cast<size_t>(m) : sizeof line - 1;
    (void)write_all(g_diag_fd, line, line_len);
  }
  uint8_t payload[600];
  ap::FieldWriter w(payload, sizeof payload);
  w.put_bytes(ap::field::kText, text, len);
  outq().push(ap::MsgType::kLog, w.data(), w.size(), prio);
}
}  // namespace

void log_to_kmsg(int fd) {
  if (fd < 0) return;
  g_diag_fd = fd;
  g_kmsg = true;
}

void agent_log(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vlog(Priority::kReply, format, args);
  va_end(args);
}

void agent_log_periodic(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vlog(Priority::kPeriodic, format, args);
  va_end(args);
}

}  // namespace wedge::guest
