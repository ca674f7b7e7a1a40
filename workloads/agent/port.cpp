// Implementation of port.h. Directory scans allocate (opendir), so they run only at start-up.
#include "workloads/agent/port.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/log.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
constexpr const char* kPortsDir = "/sys/class/virtio-ports";

// Finds the port's device name (e.g. "vport1p1"); false if no port has our name yet.
bool find_port(char* dev, size_t cap) {
  DIR* dir = opendir(kPortsDir);
  if (dir == nullptr) return false;
  bool found = false;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s/name", kPortsDir, entry->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    char name[128];
    ssize_t n = read(fd, name, sizeof name - 1);
    close(fd);
    if (n <= 0) continue;
    while (n > 0 && (name[n - 1] == '\n' || name[n - 1] == ' ')) --n;
    name[n] = '\0';
    if (strcmp(name, agent_protocol::kPortName) == 0) {
      snprintf(dev, cap, "/dev/%s", entry->d_name);
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}
}  // namespace

int open_virtio_port(int timeout_ms) {
  int64_t deadline = monotonic_ms() + timeout_ms;
  char dev[300];
  for (;;) {
    if (find_port(dev, sizeof dev)) {
      int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd >= 0) return fd;
      if (monotonic_ms() >= deadline) agent_log("open %s: %s", dev, errno_text(errno));
    }
    if (monotonic_ms() >= deadline) return -1;
    sleep_ms(100);
  }
}

int connect_unix(const char* path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr.sun_path) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(addr.sun_path, path, strlen(path));
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

}  // namespace wedge::guest
