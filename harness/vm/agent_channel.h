// The host end of the guest agent's channel: a byte stream over a unix socket (QEMU's end of
// the agent's virtio-serial port). Nothing in it knows which hypervisor made the socket.
//
//   vm::AgentChannel channel(spec.agent_socket, spec.name);
//   WEDGE_TRY(std::string bytes, channel.read());   // never blocks; "" until the socket exists
//   WEDGE_CHECK(channel.write(frame));              // waits briefly for the socket and the peer
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "harness/util/files.h"
#include "harness/util/result.h"

namespace wedge::vm {

struct AgentChannelLimits {
  // At most this much is returned per read(): a guest flooding the channel cannot make one
  // read grow without end.
  size_t max_read = 4 << 20;
  // How long write() waits for the peer to take all bytes (QEMU stops reading the socket
  // while the guest does not read its port).
  std::chrono::milliseconds write_timeout{2000};
  // How long write() waits for the socket to appear before giving up.
  std::chrono::milliseconds connect_timeout{1000};
};

class AgentChannel {
 public:
  using Limits = AgentChannelLimits;

  // Connects lazily to the unix socket at path; name prefixes errors ("wedge-...: agent ...").
  AgentChannel(std::filesystem::path path, std::string name, Limits limits = Limits());
  // Over an already connected stream socket (a socketpair end in tests).
  AgentChannel(UniqueFd connected, std::string name, Limits limits = Limits());

  // Bytes the peer sent since the previous call (possibly empty). Never blocks. An error means
  // the channel is closed (the peer went away); it stays closed.
  [[nodiscard]] Result<std::string> read();
  // Sends all of bytes, or fails: the socket never appeared, the peer stopped reading (an
  // earlier write cut short fails every later one: the agent would misread what follows), or
  // the channel is closed.
  [[nodiscard]] Status write(const std::string& bytes);
  // Closes the channel for good (the guest is going away).
  void close();

 private:
  // False: the socket is not there yet.
  Result<bool> connect();
  Error closed_error();

  std::filesystem::path path_;
  std::string name_;
  Limits limits_;
  UniqueFd fd_;
  bool closed_ = false;
  bool write_cut_ = false;
};

}  // namespace wedge::vm
