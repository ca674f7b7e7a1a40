// Implementation of cgroup_exec.h.
#include "workloads/agent/cgroup_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "workloads/agent/util.h"

namespace wedge::guest {

int cgroup_exec_main(int argc, char** argv) {
  if (argc < 2 || argv[0][0] != '/' || argv[1][0] != '/') {
    dprintf(STDERR_FILENO, "usage: wedge-agent cgroup-exec /CGROUP/DIR /PROGRAM [ARGS...]\n");
    return 2;
  }
  char path[512];
  snprintf(path, sizeof path, "%s/cgroup.procs", argv[0]);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  char pid[32];
  int len = snprintf(pid, sizeof pid, "%d", static_cast<int>(getpid()));
  if (fd < 0 || !write_all(fd, pid, static_cast<size_t>(len))) {
    dprintf(STDERR_FILENO, "wedge-agent cgroup-exec: joining %s: %s\n", path, errno_text(errno));
    return 126;
  }
  close(fd);
  execv(argv[1], argv + 1);
  dprintf(STDERR_FILENO, "wedge-agent cgroup-exec: exec %s: %s\n", argv[1], errno_text(errno));
  return 127;
}

}  // namespace wedge::guest
