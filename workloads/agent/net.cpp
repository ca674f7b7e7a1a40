// Implementation of net.h: SIOCGIFNAME, SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK and SIOCADDRT.
#include "workloads/agent/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "workloads/agent/log.h"
#include "workloads/agent/util.h"

namespace wedge::guest {

namespace {
constexpr uint32_t kGuestAddr = 0x0A00020F;  // 10.0.2.15
constexpr uint32_t kNetmask = 0xFFFFFF00;    // /24
constexpr uint32_t kGateway = 0x0A000202;    // 10.0.2.2, QEMU's host alias
// e1000 checks its link from a watchdog every 2 s: under TCG its carrier came 2.04 s after the
// card was opened, so the wait for it has room beyond that.
constexpr int kCarrierWaitMs = 6000;

void set_name(ifreq* ifr, const char* name) {
  memset(ifr, 0, sizeof *ifr);
  memcpy(ifr->ifr_name, name, strlen(name) + 1);
}

void set_inet(sockaddr* sa, uint32_t host_order) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(host_order);
  memcpy(sa, &sin, sizeof sin);
}

bool bring_up(int sock, const char* name) {
  ifreq ifr;
  set_name(&ifr, name);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
    agent_log("%s: SIOCGIFFLAGS: %s", name, errno_text(errno));
    return false;
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) {
    agent_log("%s: SIOCSIFFLAGS: %s", name, errno_text(errno));
    return false;
  }
  return true;
}

// The first interface that is not a loopback, by index (no allocation, no netlink): its name
// into name (IFNAMSIZ bytes). False when there is none yet.
bool find_card(int sock, char* name) {
  constexpr int kMaxIndex = 64;
  for (int index = 1; index <= kMaxIndex; ++index) {
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_ifindex = index;
    if (ioctl(sock, SIOCGIFNAME, &ifr) != 0) continue;
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0 || (ifr.ifr_flags & IFF_LOOPBACK) != 0) continue;
    memcpy(name, ifr.ifr_name, IFNAMSIZ);
    name[IFNAMSIZ - 1] = '\0';
    return true;
  }
  return false;
}

// The card's carrier (/sys/class/net/<card>/carrier is "1"): virtio-net has it when it is opened,
// e1000 once its watchdog saw the link. Frames sent before it are dropped. (IFF_RUNNING would
// also wait for the operstate, which lags the carrier by up to a second and gates nothing.)
bool has_carrier(const char* name) {
  char path[64 + IFNAMSIZ];
  snprintf(path, sizeof path, "/sys/class/net/%s/carrier", name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char c = 0;
  ssize_t n = read(fd, &c, 1);
  close(fd);
  return n == 1 && c == '1';
}
}  // namespace

void configure_network(int wait_ms) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    agent_log("network: socket: %s", errno_text(errno));
    return;
  }
  bring_up(sock, "lo");  // the kernel assigns 127.0.0.1/8 when lo comes up

  // The route keeps a pointer to the device name for the ioctl only; static keeps it simple.
  static char card[IFNAMSIZ];
  int64_t deadline = monotonic_ms() + wait_ms;
  bool found = find_card(sock, card);
  while (!found && monotonic_ms() < deadline) {
    sleep_ms(50);
    found = find_card(sock, card);
  }
  if (!found) {
    agent_log("network: no network card after %d ms, continuing without it", wait_ms);
    close(sock);
    return;
  }
  ifreq ifr;
  set_name(&ifr, card);
  set_inet(&ifr.ifr_addr, kGuestAddr);
  if (ioctl(sock, SIOCSIFADDR, &ifr) != 0) {
    agent_log("%s: SIOCSIFADDR: %s", card, errno_text(errno));
  }
  set_name(&ifr, card);
  set_inet(&ifr.ifr_netmask, kNetmask);
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) != 0) {
    agent_log("%s: SIOCSIFNETMASK: %s", card, errno_text(errno));
  }
  if (bring_up(sock, card)) {
    if (!has_carrier(card)) {
      const int64_t up_at = monotonic_ms();
      while (!has_carrier(card) && monotonic_ms() < up_at + kCarrierWaitMs) sleep_ms(20);
      if (has_carrier(card)) {
        agent_log("network: %s link up %lld ms after it was opened", card,
                  static_cast<long long>(monotonic_ms() - up_at));
      } else {
        agent_log("network: %s has no link after %d ms; going on", card, kCarrierWaitMs);
      }
    }
    rtentry route{};
    set_inet(&route.rt_dst, 0);
    set_inet(&route.rt_genmask, 0);
    set_inet(&route.rt_gateway, kGateway);
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    route.rt_dev = card;
    if (ioctl(sock, SIOCADDRT, &route) != 0 && errno != EEXIST) {
      agent_log("network: default route via 10.0.2.2: %s", errno_text(errno));
    }
  }
  close(sock);
}

}  // namespace wedge::guest
