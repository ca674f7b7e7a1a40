// Implementation of net.h: SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFNETMASK and SIOCADDRT.
#include "workloads/agent/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
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

bool exists(int sock, const char* name) {
  ifreq ifr;
  set_name(&ifr, name);
  return ioctl(sock, SIOCGIFINDEX, &ifr) == 0;
}
}  // namespace

void configure_network(int wait_ms) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    agent_log("network: socket: %s", errno_text(errno));
    return;
  }
  bring_up(sock, "lo");  // the kernel assigns 127.0.0.1/8 when lo comes up

  int64_t deadline = monotonic_ms() + wait_ms;
  while (!exists(sock, "eth0") && monotonic_ms() < deadline) sleep_ms(50);
  if (!exists(sock, "eth0")) {
    agent_log("network: no eth0 after %d ms, continuing without it", wait_ms);
    close(sock);
    return;
  }
  ifreq ifr;
  set_name(&ifr, "eth0");
  set_inet(&ifr.ifr_addr, kGuestAddr);
  if (ioctl(sock, SIOCSIFADDR, &ifr) != 0) agent_log("eth0: SIOCSIFADDR: %s", errno_text(errno));
  set_name(&ifr, "eth0");
  set_inet(&ifr.ifr_netmask, kNetmask);
  if (ioctl(sock, SIOCSIFNETMASK, &ifr) != 0) {
    agent_log("eth0: SIOCSIFNETMASK: %s", errno_text(errno));
  }
  if (bring_up(sock, "eth0")) {
    rtentry route{};
    set_inet(&route.rt_dst, 0);
    set_inet(&route.rt_genmask, 0);
    set_inet(&route.rt_gateway, kGateway);
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    static char dev[] = "eth0";
    route.rt_dev = dev;
    if (ioctl(sock, SIOCADDRT, &route) != 0 && errno != EEXIST) {
      agent_log("network: default route via 10.0.2.2: %s", errno_text(errno));
    }
  }
  close(sock);
}

}  // namespace wedge::guest
