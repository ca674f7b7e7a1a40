// Implementation of watch.h: fork and exec with stdout and stderr on a pipe, then a poll loop
// that forwards whole lines (backspaces dropped: mke2fs redraws its counters with them),
// remembers the phase, and samples the device's written sectors or the program's dirtied
// bytes.
#include "workloads/agent/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {

using ull = unsigned long long;

constexpr const char* kUsage =
    "usage: wedge-agent watch --device /dev/X | --file-mib N -- /PROGRAM [ARGS...]\n";

// The n-th (0-based) number of a /sys/block/X/stat or size file; 0 when unreadable.
uint64_t sys_number(const char* path, int n) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[512];
  ssize_t len = pread_whole(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return 0;
  buf[len] = '\0';
  const char* p = buf;
  for (int i = 0; i <= n; ++i) {
    while (*p == ' ' || *p == '\n') ++p;
    char* end = nullptr;
    uint64_t v = strtoull(p, &end, 10);
    if (end == p) return 0;
    if (i == n) return v;
    p = end;
  }
  return 0;
}

// The "write_bytes:" field of a /proc/PID/io file (bytes of page cache the task dirtied, or
// wrote to a device directly); false when unreadable (the task is gone).
bool io_write_bytes(const char* path, uint64_t* out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[512];
  ssize_t len = pread_whole(fd, buf, sizeof buf - 1);
  close(fd);
  if (len <= 0) return false;
  buf[len] = '\0';
  const char* key = strstr(buf, "\nwrite_bytes: ");
  if (!key) return false;
  *out = strtoull(key + strlen("\nwrite_bytes: "), nullptr, 10);
  return true;
}

// Collects the child's output into lines; the phase is the text before ':' of the line being
// written ("Writing inode tables: 3/32" -> "Writing inode tables").
class LineSplitter {
 public:
  void feed(const char* data, size_t len) {
    for (size_t i = 0; i < len; ++i) {
      char c = data[i];
      if (c == '\b' || c == '\r') continue;
      if (c == '\n' || used_ + 1 >= sizeof line_) {
        flush();
        continue;
      }
      line_[used_++] = c;
      if (c == ':' && used_ > 1) {
        size_t n = used_ - 1 < sizeof phase_ - 1 ? used_ - 1 : sizeof phase_ - 1;
        memcpy(phase_, line_, n);
        phase_[n] = '\0';
      }
    }
  }
  void flush() {
    if (used_ > 0) {
      line_[used_++] = '\n';
      (void)write_all(STDOUT_FILENO, line_, used_);
    }
    used_ = 0;
  }
  const char* phase() const { return phase_[0] ? phase_ : "starting"; }

 private:
  char line_[1024];
  size_t used_ = 0;
  char phase_[96] = {};
};

}  // namespace

int watch_main(int argc, char** argv) {
  const char* device = nullptr;
  uint64_t file_mib = 0;
  int i = 0;
  for (; i < argc; ++i) {
    if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
      device = argv[++i];
    } else if (strcmp(argv[i], "--file-mib") == 0 && i + 1 < argc) {
      file_mib = strtoull(argv[++i], nullptr, 10);
    } else if (strcmp(argv[i], "--") == 0) {
      ++i;
      break;
    } else {
      dprintf(STDERR_FILENO, "wedge-agent watch: unknown argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  const bool on_device = device && strncmp(device, "/dev/", 5) == 0;
  if (on_device == (file_mib > 0) || i >= argc || argv[i][0] != '/') {
    dprintf(STDERR_FILENO, "%s", kUsage);
    return 2;
  }
  char stat_path[128] = {}, size_path[128] = {}, io_path[64] = {};
  if (on_device) {
    snprintf(stat_path, sizeof stat_path, "/sys/block/%s/stat", device + 5);
    snprintf(size_path, sizeof size_path, "/sys/block/%s/size", device + 5);
  }
  const uint64_t total_mib = on_device ? sys_number(size_path, 0) * 512 / (1 << 20) : file_mib;
  const uint64_t sectors_at_start = on_device ? sys_number(stat_path, 6) : 0;

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return 127;
  pid_t pid = fork();
  if (pid < 0) return 127;
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    execv(argv[i], argv + i);
    dprintf(STDERR_FILENO, "wedge-agent watch: exec %s: %s\n", argv[i], errno_text(errno));
    _exit(127);
  }
  close(out[1]);
  snprintf(io_path, sizeof io_path, "/proc/%d/io", static_cast<int>(pid));
  uint64_t dirtied = 0;  // the child's last readable write_bytes
  bool reaped = false;
  LineSplitter lines;
  bool open_pipe = true;
  int64_t next_report = 0;
  auto report = [&] {
    uint64_t written = 0;
    if (on_device) {
      written = (sys_number(stat_path, 6) - sectors_at_start) * 512 / (1 << 20);
    } else {
      if (!reaped) (void)io_write_bytes(io_path, &dirtied);
      written = dirtied / (1 << 20);
    }
    if (total_mib && written > total_mib) written = total_mib;
    dprintf(STDOUT_FILENO, "progress %llu %llu MiB %s\n", static_cast<ull>(written),
            static_cast<ull>(total_mib), lines.phase());
  };
  int status = 0;
  for (;;) {
    if (open_pipe) {
      struct pollfd p = {out[0], POLLIN, 0};
      if (poll(&p, 1, 200) > 0) {
        char buf[4096];
        ssize_t n = read(out[0], buf, sizeof buf);
        if (n > 0) {
          lines.feed(buf, static_cast<size_t>(n));
        } else if (n == 0 || errno != EINTR) {
          open_pipe = false;
          lines.flush();
        }
      }
    } else {
      sleep_ms(200);
    }
    if (monotonic_ms() >= next_report) {
      report();
      next_report = monotonic_ms() + 500;
    }
    struct rusage usage = {};
    pid_t done = wait4(pid, &status, WNOHANG, &usage);
    // Its /proc/PID/io is gone once reaped: the rusage wait4 gives holds the same count, in
    // 512-byte blocks (ru_oublock is write_bytes / 512).
    if (done == pid) {
      dirtied = static_cast<uint64_t>(usage.ru_oublock) * 512;
      reaped = true;
    }
    if (done == pid && !open_pipe) break;
    if (done == pid) {
      // Drain what is left, then stop.
      char buf[4096];
      ssize_t n;
      while ((n = read(out[0], buf, sizeof buf)) > 0) lines.feed(buf, static_cast<size_t>(n));
      lines.flush();
      break;
    }
  }
  report();
  close(out[0]);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace wedge::guest
