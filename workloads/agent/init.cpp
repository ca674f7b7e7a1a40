// Implementation of init.h: the PID 1 start-up sequence and its never-exit guarantee.
#include "workloads/agent/init.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/agent_protocol/protocol.h"
#include "workloads/agent/log.h"
#include "workloads/agent/modules.h"
#include "workloads/agent/net.h"
#include "workloads/agent/port.h"
#include "workloads/agent/serve_loop.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
constexpr const char* kModulesList = "/etc/wedge/modules.load";
constexpr const char* kHostname = "wedge-guest";

struct Mount {
  const char* source;
  const char* target;
  const char* type;
  unsigned long flags;
  const char* options;
  bool required;
};

constexpr Mount kEarlyMounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, true},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, true},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", true},
};
constexpr Mount kLateMounts[] = {
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=0620,ptmxmode=0666", true},
    {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", true},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", true},
    {"cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr, false},
};

void do_mount(const Mount& m) {
  mkdir(m.target, 0755);
  if (mount(m.source, m.target, m.type, m.flags, m.options) != 0 && errno != EBUSY && m.required) {
    agent_log("mount %s on %s: %s", m.type, m.target, errno_text(errno));
  }
}

// The kernel opens /dev/console for init only if the initramfs has that node; without it
// fds 0-2 are closed and the first files opened would take their place.
void ensure_std_fds() {
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    int opened = open("/dev/console", O_RDWR | O_NOCTTY);
    if (opened < 0) opened = open("/dev/null", O_RDWR);
    if (opened >= 0 && opened != fd) {
      dup2(opened, fd);
      close(opened);
    }
  }
}

[[noreturn]] void sleep_forever(const char* why) {
  agent_log("fatal: %s; PID 1 keeps reaping children and sleeping", why);
  for (;;) {
    reap_children(nullptr, nullptr);
    sleep_ms(1000);
  }
}
}  // namespace

void run_as_init() {
  for (const Mount& m : kEarlyMounts) do_mount(m);
  ensure_std_fds();
  log_to_kmsg(open("/dev/kmsg", O_WRONLY | O_CLOEXEC));
  for (const Mount& m : kLateMounts) do_mount(m);
  if (sethostname(kHostname, strlen(kHostname)) != 0) {
    agent_log("sethostname: %s", errno_text(errno));
  }
  // Console loglevel 8: sysrq and hung-task reports print their full stacks.
  if (klogctl(8, nullptr, 8) != 0) agent_log("klogctl: %s", errno_text(errno));
  int failed = load_modules(kModulesList);
  if (failed > 0) agent_log("%d module(s) failed to load", failed);
  configure_network(2000);

  int port = open_virtio_port(10000);
  while (port < 0) {
    agent_log("no virtio-serial port named %s yet; still looking", agent_protocol::kPortName);
    reap_children(nullptr, nullptr);
    port = open_virtio_port(10000);
  }
  ServeConfig config;
  config.port_fd = port;
  config.may_power_off = true;
  serve(config);
  sleep_forever("the serving loop stopped");
}

}  // namespace wedge::guest
