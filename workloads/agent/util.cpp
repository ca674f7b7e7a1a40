// Implementation of util.h: clocks, fd I/O and text helpers for the agent.
#include "workloads/agent/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness/agent_protocol/protocol.h"

namespace wedge::guest {

namespace {
int64_t clock_ms(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

int64_t monotonic_ms() { return clock_ms(CLOCK_MONOTONIC); }
uint64_t boottime_ms() { return static_cast<uint64_t>(clock_ms(CLOCK_BOOTTIME)); }

void sleep_ms(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

bool write_all(int fd, const void* data, size_t len) {
  const auto* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

ssize_t pread_whole(int fd, char* buf, size_t cap) {
  size_t used = 0;
  while (used < cap) {
    ssize_t n = pread(fd, buf + used, cap - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  return static_cast<ssize_t>(used);
}

bool copy_cstr(char* dst, size_t cap, const uint8_t* src, size_t len) {
  if (len + 1 > cap || memchr(src, 0, len) != nullptr) return false;
  memcpy(dst, src, len);
  dst[len] = '\0';
  return true;
}

bool field_u64(const uint8_t* data, uint32_t len, uint64_t* out) {
  if (len != 8) return false;
  *out = agent_protocol::load_u64(data);
  return true;
}

uint64_t number_after_key(const char* text, size_t len, const char* key) {
  size_t key_len = strlen(key);
  size_t pos = 0;
  while (pos < len) {
    const char* line = text + pos;
    const auto* nl = static_cast<const char*>(memchr(line, '\n', len - pos));
    size_t line_len = nl ? static_cast<size_t>(nl - line) : len - pos;
    if (line_len > key_len && memcmp(line, key, key_len) == 0) {
      uint64_t v = 0;
      for (size_t i = key_len; i < line_len; ++i) {
        char c = line[i];
        if (c >= '0' && c <= '9') {
          v = v * 10 + static_cast<uint64_t>(c - '0');
        } else if (v != 0 || (c != ' ' && c != '\t')) {
          break;
        }
      }
      return v;
    }
    pos += line_len + 1;
  }
  return 0;
}

bool parse_decimal(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  uint64_t v = 0;
  for (; *s; ++s) {
    if (*s < '0' || *s > '9') return false;
    uint64_t digit = static_cast<uint64_t>(*s - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

bool ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

const char* errno_text(int err) {
  const char* text = strerrordesc_np(err);
  return text ? text : "unknown error";
}

void say(const char* format, ...) {
  char line[768];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n <= 0) return;
  size_t len = static_cast<size_t>(n) < sizeof line ? static_cast<size_t>(n) : sizeof line - 1;
  (void)write_all(STDOUT_FILENO, line, len);
}

}  // namespace wedge::guest
