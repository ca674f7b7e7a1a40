// A server guest: a second guest in the same run that serves the storage from its own kernel
// (an NVMe/TCP target, knfsd), for transports whose server cannot run on the host. A
// transport asks the run for one through TransportContext::server_guests; the run boots it
// from the run's own image and kernel, keeps its agent session pumped, records its console
// in the run folder's server/ and tears it down with the run. The transport configures its
// target through ops() and reaches it at 127.0.0.1:host_port(guest port).
//
//   WEDGE_TRY(auto guest, context.server_guests->boot({.memory_mib = 256,
//                                                      .disks = {export_img},
//                                                      .ports = {4420}}));
//   WEDGE_CHECK(configure_nvmet(guest->ops(), "/dev/vda", 4420));
//   WEDGE_TRY(auto relay, TcpRelay::start(guest->host_port(4420)));
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/storage/guest_ops.h"
#include "harness/util/result.h"

namespace wedge::storage {

struct ServerGuestSpec {
  int memory_mib = 256;
  std::vector<std::filesystem::path> disks;  // its /dev/vda, /dev/vdb, ...
  std::vector<int> ports;                    // guest TCP ports the host may connect to
  std::string role = "server";               // names its folder and domain suffix
};

class ServerGuest {
 public:
  virtual ~ServerGuest() = default;  // destroys the guest
  // Commands, files and waits in the server guest (thread-safe against the run's pumping).
  [[nodiscard]] virtual GuestOps& ops() = 0;
  // The host loopback port QEMU forwards to guest_port (one of the spec's ports).
  [[nodiscard]] virtual int host_port(int guest_port) const = 0;
  // Freezes and thaws the whole guest (vCPUs and devices).
  [[nodiscard]] virtual Status pause() = 0;
  [[nodiscard]] virtual Status resume() = 0;
  // Sets its memory balloon to mib (its RAM as the kernel sees it); memory_mib() is its full
  // memory, as booted.
  [[nodiscard]] virtual Status set_memory_mib(int mib) = 0;
  [[nodiscard]] virtual int memory_mib() const = 0;
  // Has its kernel print every blocked task's stack to its console (sysrq w through its agent),
  // for the evidence of a hang in the client. An error when it cannot (paused, agent silent).
  [[nodiscard]] virtual Status dump_blocked_tasks() = 0;
  // Whether the host still runs the guest (running, or paused): a kernel that died inside it is
  // a finding of its console, not the host's failure.
  [[nodiscard]] virtual bool healthy() = 0;
  // The title of the panic its kernel printed ("kernel panic: System is deadlocked on memory"),
  // once it did: the storage it serves can never answer again. Thread-safe.
  [[nodiscard]] virtual std::optional<std::string> kernel_death() const = 0;
  // "wedge-...-server (256 MiB, booted in 2.4 s)", for reports.
  [[nodiscard]] virtual std::string describe() const = 0;
};

// Whether the storage these server guests serve is gone for good, and why: the kernel of every
// one of them died (a transport's single server guest, or each leg of a RAID1, which survives
// while one leg lives). nullopt while one still runs, or when there are none.
//   storage_lost_for_good({&leg1, &leg2})  -> nullopt while leg2's kernel is alive
[[nodiscard]] inline std::optional<std::string> storage_lost_for_good(
    const std::vector<const ServerGuest*>& guests) {
  std::optional<std::string> last_death;
  for (const ServerGuest* guest : guests) {
    last_death = guest->kernel_death();
    if (!last_death) return std::nullopt;
  }
  return last_death;
}

// The run's way of booting server guests (implemented by the run, faked in tests).
class ServerGuests {
 public:
  virtual ~ServerGuests() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<ServerGuest>> boot(const ServerGuestSpec& spec) = 0;
};

}  // namespace wedge::storage
