// Implementation of io_flusher_exec.h.
#include "workloads/agent/io_flusher_exec.h"

#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workloads/agent/io_flusher.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

int io_flusher_exec_main(int argc, char** argv) {
  if (argc < 1 || argv[0][0] != '/') {
    fputs("usage: wedge-agent io-flusher /ABSOLUTE/PROGRAM [ARGS...]\n", stderr);
    return 2;
  }
  if (int err = set_io_flusher(true); err != 0) {
    fprintf(stderr, "wedge-agent io-flusher: PR_SET_IO_FLUSHER: %s\n", errno_text(err));
    return 126;
  }
  if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    fprintf(stderr, "wedge-agent io-flusher: mlockall: %s\n", errno_text(errno));
    return 126;
  }
  execv(argv[0], argv);
  fprintf(stderr, "wedge-agent io-flusher: exec %s: %s\n", argv[0], errno_text(errno));
  return 127;
}

}  // namespace wedge::guest
