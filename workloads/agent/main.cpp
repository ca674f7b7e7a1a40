// wedge-agent: the static guest agent. Picks a mode (init, serve, or a workload: hog, write,
// watch, cgroup-exec) and hands over; the work lives in the mode's own file.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <initializer_list>

#include "workloads/agent/cgroup_exec.h"
#include "workloads/agent/hog.h"
#include "workloads/agent/init.h"
#include "workloads/agent/io_flusher_exec.h"
#include "workloads/agent/mmap_writer.h"
#include "workloads/agent/nbd_connect.h"
#include "workloads/agent/port.h"
#include "workloads/agent/serve_loop.h"
#include "workloads/agent/util.h"
#include "workloads/agent/watch.h"
#include "workloads/agent/writer.h"

namespace {

constexpr const char* kUsage =
    "usage: wedge-agent MODE [options]\n"
    "  As /init (PID 1, or argv[0] ending in \"init\"): set up the guest and serve the\n"
    "  host on the virtio-serial port org.wedge.agent.0.\n"
    "  serve --connect SOCKET [--sysrq-path FILE]   serve over a unix socket (tests)\n"
    "  hog --mib N [--step-mib S] [--verify]        memory hog workload\n"
    "  mmap-write --procs N --mib M [--passes P]    anonymous mmap writers (several processes)\n"
    "  io-flusher PROGRAM [ARGS...]                 exec PROGRAM as PR_SET_IO_FLUSHER\n"
    "  nbd-connect HOST PORT /dev/nbdN EXPORT       attach an NBD export (no nbd-client)\n"
    "  write --dir DIR --mib N [...]                file writers with verified read-back\n"
    "  watch --device /dev/X -- PROGRAM [ARGS...]   run PROGRAM, report device writes\n"
    "  cgroup-exec DIR PROGRAM [ARGS...]            join cgroup DIR, exec PROGRAM\n"
    "Run 'wedge-agent MODE --help' for a mode's options.\n";

constexpr const char* kServeUsage =
    "usage: wedge-agent serve --connect SOCKET [--sysrq-path FILE] [--proc-root DIR]\n"
    "                         [--task-refresh-ms N]\n"
    "  Connects to the unix stream socket SOCKET and serves the agent protocol on it,\n"
    "  without any init duties, until the peer hangs up. Memory is mlockall()ed.\n"
    "  --sysrq-path FILE     write sysrq keys to FILE (created, appended) instead of\n"
    "                        /proc/sysrq-trigger; tests must always set it.\n"
    "  --proc-root DIR       list and read tasks under DIR instead of /proc (tests)\n"
    "  --task-refresh-ms N   keep every task's /proc files open for task scans, looking\n"
    "                        for new and exited tasks every N ms (as init: always, 3000;\n"
    "                        here off unless given: a developer's host has many tasks)\n"
    "  kPoweroff only stops serving in this mode.\n";

bool parse_refresh_ms(const char* text, int* out) {
  uint64_t v = 0;
  if (!wedge::guest::parse_decimal(text, &v) || v < 10 || v > 3600 * 1000) return false;
  *out = static_cast<int>(v);
  return true;
}

int serve_main(int argc, char** argv) {
  const char* socket_path = nullptr;
  wedge::guest::ServeConfig config;
  config.task_refresh_ms = 0;
  for (int i = 0; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(kServeUsage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--connect") == 0 && i + 1 < argc) {
      socket_path = argv[++i];
    } else if (strcmp(argv[i], "--sysrq-path") == 0 && i + 1 < argc) {
      config.sysrq_path = argv[++i];
      config.sysrq_is_plain_file = true;
    } else if (strcmp(argv[i], "--proc-root") == 0 && i + 1 < argc) {
      config.proc_root = argv[++i];
    } else if (strcmp(argv[i], "--task-refresh-ms") == 0 && i + 1 < argc &&
               parse_refresh_ms(argv[i + 1], &config.task_refresh_ms)) {
      ++i;
    } else {
      fprintf(stderr, "wedge-agent serve: unknown argument %s\n%s", argv[i], kServeUsage);
      return 2;
    }
  }
  if (socket_path == nullptr) {
    fprintf(stderr, "wedge-agent serve: --connect is required\n%s", kServeUsage);
    return 2;
  }
  config.port_fd = wedge::guest::connect_unix(socket_path);
  if (config.port_fd < 0) {
    fprintf(stderr, "wedge-agent serve: connect %s: %s\n", socket_path,
            wedge::guest::errno_text(errno));
    return 1;
  }
  config.port_is_socket = true;
  return wedge::guest::serve(config);
}

}  // namespace

int main(int argc, char** argv) {
  // A workload mode named on the command line wins: the host runs "/init hog ..." in the guest.
  bool workload_mode = false;
  for (const char* mode : {"hog", "mmap-write", "serve", "io-flusher", "nbd-connect", "write",
                           "watch", "cgroup-exec"}) {
    workload_mode |= argc > 1 && strcmp(argv[1], mode) == 0;
  }
  if (!workload_mode && (getpid() == 1 || (argc > 0 && wedge::guest::ends_with(argv[0], "init")))) {
    wedge::guest::run_as_init();
  }
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (strcmp(argv[1], "serve") == 0) return serve_main(argc - 2, argv + 2);
  if (strcmp(argv[1], "hog") == 0) return wedge::guest::hog_main(argc - 2, argv + 2);
  if (strcmp(argv[1], "mmap-write") == 0) {
    return wedge::guest::mmap_writer_main(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "nbd-connect") == 0) {
    return wedge::guest::nbd_connect_main(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "write") == 0) return wedge::guest::writer_main(argc - 2, argv + 2);
  if (strcmp(argv[1], "watch") == 0) return wedge::guest::watch_main(argc - 2, argv + 2);
  if (strcmp(argv[1], "cgroup-exec") == 0) {
    return wedge::guest::cgroup_exec_main(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "io-flusher") == 0) {
    return wedge::guest::io_flusher_exec_main(argc - 2, argv + 2);
  }
  fprintf(stderr, "wedge-agent: unknown mode %s\n%s", argv[1], kUsage);
  return 2;
}
