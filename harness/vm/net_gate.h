// The guest's only way out: every Ethernet frame the guest sends to QEMU's user-mode network
// passes through wedge first (QEMU filter-redirector objects send them to one unix socket and
// take back what comes on another), and only ARP and IPv4 TCP to 10.0.2.2 on the run's own
// ports go on. QEMU's slirp then connects those to 127.0.0.1 on the host, as before; every
// other host service (other runs' consoles and servers) and the outside stay unreachable. The
// guest keeps its own virtio-net and TCP stack for the storage traffic. Fail-closed: frames
// the gate does not pass, or that arrive while it is not connected, are dropped.
//
//   WEDGE_TRY(auto gate, vm::NetGate::start(from_guest_sock, to_network_sock, {40123}, 2s));
//   gate->stats().dropped_frames;
//
// The frame format on both sockets is QEMU's for socket chardevs: a 4-byte big-endian length,
// then the frame.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge::vm {

// The guest's view of the host: QEMU's user-mode network maps it to 127.0.0.1.
inline constexpr uint32_t kGuestHostAddress = 0x0A000202;  // 10.0.2.2

// Whether one Ethernet frame from the guest may reach the network: ARP, or an unfragmented
// IPv4 TCP segment to 10.0.2.2 on one of ports, or from one of served_ports (a port the guest
// serves, answering a connection QEMU forwarded from the host). When not, why
// ("udp to 10.0.2.3:53").
struct FrameCheck {
  bool pass = false;
  std::string what;  // "tcp to 10.0.2.2:40123", "ipv6", "arp", ...
};
[[nodiscard]] FrameCheck check_frame(std::string_view frame, const std::vector<int>& ports,
                                     const std::vector<int>& served_ports = {});

class NetGate {
 public:
  struct Stats {
    uint64_t passed_frames = 0;
    uint64_t passed_bytes = 0;
    uint64_t dropped_frames = 0;
    uint64_t queue_drops = 0;  // passed frames dropped because QEMU did not take them in time
    std::string last_dropped;  // check_frame().what of the last dropped frame
  };

  // Connects to QEMU's two redirector sockets (retrying while they do not exist yet, at most
  // timeout) and starts forwarding on its own thread.
  [[nodiscard]] static Result<std::unique_ptr<NetGate>> start(
      const std::filesystem::path& from_guest, const std::filesystem::path& to_network,
      std::vector<int> ports, std::chrono::milliseconds timeout,
      std::vector<int> served_ports = {});
  NetGate(const NetGate&) = delete;
  NetGate& operator=(const NetGate&) = delete;
  ~NetGate();  // stops forwarding and closes both sockets (the guest's frames are then dropped)

  [[nodiscard]] Stats stats() const;
  // Why forwarding stopped early (QEMU closed a socket, a malformed length), or "".
  [[nodiscard]] std::string failure() const;

 private:
  NetGate(UniqueFd from_guest, UniqueFd to_network, std::vector<int> ports,
          std::vector<int> served_ports);
  void run();
  void fail(std::string why);

  UniqueFd from_guest_;
  UniqueFd to_network_;
  const std::vector<int> ports_;
  const std::vector<int> served_ports_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;  // guards stats_, failure_
  Stats stats_;
  std::string failure_;
  std::thread thread_;
};

}  // namespace wedge::vm
