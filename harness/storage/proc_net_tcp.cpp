// Implementation of proc_net_tcp.h. A line of /proc/net/tcp looks like
//   "   1: 0100007F:5149 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0  0 11177 ..."
// (slot, local address:port, remote address:port, state, ...). The kernel prints each 32-bit
// word of the address as the hex of its in-memory value, so the bytes are recovered by storing
// the parsed words back in host order; the port is plain hex. State 0A is TCP_LISTEN.
#include "harness/storage/proc_net_tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <charconv>
#include <cstring>

#include "harness/util/files.h"

namespace wedge::storage {

namespace {

constexpr std::string_view kListenState = "0A";

std::string_view next_field(std::string_view& line) {
  size_t start = line.find_first_not_of(' ');
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  size_t end = line.find(' ');
  std::string_view field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

bool parse_hex32(std::string_view text, uint32_t& out) {
  if (text.size() != 8) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Calls accept(address_bytes, port) for each LISTEN line; address_words is 1 (tcp) or 4 (tcp6).
template <size_t kWords, typename F>
bool any_listening(std::string_view text, int port, F accept) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    std::string_view slot = next_field(line);
    if (slot.empty() || slot.back() != ':') continue;  // the header line
    std::string_view local = next_field(line);
    next_field(line);  // remote address
    std::string_view state = next_field(line);
    if (state != kListenState) continue;

    size_t colon = local.find(':');
    if (colon != kWords * 8) continue;
    std::string_view port_hex = local.substr(colon + 1);
    int local_port = 0;
    auto [ptr, ec] =
        std::from_chars(port_hex.data(), port_hex.data() + port_hex.size(), local_port, 16);
    if (ec != std::errc() || ptr != port_hex.data() + port_hex.size()) continue;
    if (local_port != port) continue;

    std::array<uint8_t, kWords * 4> bytes{};
    bool ok = true;
    for (size_t i = 0; i < kWords && ok; ++i) {
      uint32_t word = 0;
      ok = parse_hex32(local.substr(i * 8, 8), word);
      std::memcpy(bytes.data() + i * 4, &word, 4);
    }
    if (ok && accept(bytes)) return true;
  }
  return false;
}

}  // namespace

bool tcp_listening(std::string_view proc_net_tcp, int port) {
  return any_listening<1>(proc_net_tcp, port, [](const std::array<uint8_t, 4>& bytes) {
    in_addr addr{};
    std::memcpy(&addr, bytes.data(), 4);
    return addr.s_addr == htonl(INADDR_LOOPBACK) || addr.s_addr == htonl(INADDR_ANY);
  });
}

bool tcp6_listening(std::string_view proc_net_tcp6, int port) {
  return any_listening<4>(proc_net_tcp6, port, [](const std::array<uint8_t, 16>& bytes) {
    in6_addr addr{};
    std::memcpy(&addr, bytes.data(), 16);
    if (IN6_IS_ADDR_UNSPECIFIED(&addr)) return true;
    if (!IN6_IS_ADDR_V4MAPPED(&addr)) return false;
    in_addr v4{};
    std::memcpy(&v4, bytes.data() + 12, 4);
    return v4.s_addr == htonl(INADDR_LOOPBACK);
  });
}

Result<bool> loopback_port_listening(int port) {
  WEDGE_TRY(std::string tcp, read_file("/proc/net/tcp"));
  if (tcp_listening(tcp, port)) return true;
  auto tcp6 = read_file("/proc/net/tcp6");
  return tcp6.ok() && tcp6_listening(*tcp6, port);
}

}  // namespace wedge::storage
