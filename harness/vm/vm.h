// The Vm interface: what a run needs from a virtual machine, independent of how it is
// provided. harness/vm/libvirt implements it on libvirt; tests use a scripted fake.
//
//   WEDGE_TRY(auto vm, backend.start(spec));
//   std::string bytes = *vm->read_console();   // new console output since last call
//   vm->write_agent(frame);                      // to the guest agent's virtio-serial port
//   if (auto* keys = vm::find<vm::Monitor>(*vm)) WEDGE_CHECK(keys->send_sysrq('w'));
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge::vm {

// Every guest wedge starts has a name with this prefix, so leftovers can be found.
inline constexpr std::string_view kDomainPrefix = "wedge-";

struct VmSpec {
  std::string name;      // libvirt domain name, e.g. "wedge-20261121-133000-ab12"
  int memory_mib = 256;  // guest RAM (also the balloon's maximum)
  int vcpus = 1;
  bool kvm = false;  // false: TCG (<domain type='qemu'>)
  std::filesystem::path kernel;
  std::filesystem::path initrd;
  std::string cmdline;                // full kernel command line
  std::filesystem::path console_log;  // the serial console is written here, live, from boot on
  // The serial console is also a telnet server on 127.0.0.1:serial_port (for BREAK sysrq and
  // for a human on a kept guest). 0: start() picks a free port.
  int serial_port = 0;
  std::filesystem::path agent_socket;  // unix socket for the agent's virtio-serial channel
  // Written into the domain metadata (Owner::to_string()): `wedge gc` removes guests whose
  // owner is dead and that were not kept.
  std::string owner;
  // Guests are never tied to the backend's connection, so they survive a libvirtd restart;
  // one whose wedge was SIGKILLed is reaped by the next wedge (owner dead). true: --keep-wedged
  // asked for this guest to be left for post-mortem once released (then marked kept).
  bool keep_after_exit = false;
  // Raw image files attached as virtio disks, in order: /dev/vda, /dev/vdb, ...
  std::vector<std::filesystem::path> disks;
  // Host folders shared with virtio-9p; the guest mounts each by its tag.
  struct SharedFolder {
    std::filesystem::path host_dir;
    std::string tag;  // letters, digits, '_', '-' (mount -t 9p TAG ...)
  };
  std::vector<SharedFolder> shared_folders;
  // The host loopback ports this guest may dial at 10.0.2.2 (the same port on 127.0.0.1): its
  // run's servers, through their relays. Everything else, on the host or beyond, is
  // unreachable: only ARP and TCP to these ports pass from the guest into QEMU's user-mode
  // network (see net_gate.h).
  std::vector<int> host_ports;
  // Ports this guest serves to the host: QEMU listens on 127.0.0.1:host_port and forwards each
  // connection to the guest's guest_port (a server guest's NVMe/TCP or NFS port). The gate
  // then also passes the guest's TCP from guest_port back to those connections.
  struct PortForward {
    int host_port = 0;
    int guest_port = 0;
  };
  std::vector<PortForward> forwards;
  // The network card's model, as libvirt and QEMU name it: "virtio" (virtio-net), "e1000",
  // "vmxnet3", "rtl8139" (the libvirt backend's list: kNicModels). The guest kernel must have
  // its driver.
  std::string nic_model = "virtio";
  // The unprivileged user and group QEMU runs as (a static DAC label, nothing relabelled);
  // the backend fills it in from the host's QEMU user. Unset: the hypervisor's default.
  struct RunAs {
    uint32_t uid = 0;
    uint32_t gid = 0;
  };
  std::optional<RunAs> run_as;
};

// kUnknown: libvirt cannot be asked right now (its daemon restarted or is gone).
enum class DomainState { kRunning, kPaused, kShutoff, kCrashed, kOther, kUnknown };

[[nodiscard]] const char* to_string(DomainState state);

// A domain's state with libvirt's reason for it, and what the hypervisor's own log says.
struct DomainStatus {
  DomainState state = DomainState::kUnknown;
  std::string reason;  // libvirt's: "ioerror", "user", "dump" (paused); "crashed", "destroyed",
                       // "shutdown", "failed" (shut off); for kUnknown why libvirt is unreachable
  std::string detail;  // e.g. "qemu-system-x86_64: terminating on signal 15 from pid 123 (bash)"
  bool gone = false;   // the domain no longer exists (a transient guest that stopped)
  // "shutoff (crashed): qemu-...: terminating on signal 15 ..."
  [[nodiscard]] std::string describe() const;
};

// What the guest's network gate let through and refused (see net_gate.h).
struct NetworkStats {
  uint64_t passed_frames = 0;
  uint64_t dropped_frames = 0;
  std::string last_dropped;  // "tcp to 10.0.2.2:22"
};

// A running guest: the essentials every backend provides. Further powers (host-side sysrq,
// a hypervisor monitor, a balloon, versions, ...) are the optional interfaces below, which a
// backend's Instance may also implement and callers ask for with vm::find<T>(instance).
class Instance {
 public:
  virtual ~Instance() = default;  // destroys the guest unless it was released

  // Console bytes written since the previous call (possibly empty). Never blocks.
  [[nodiscard]] virtual Result<std::string> read_console() = 0;
  // Bytes the agent sent since the previous call (possibly empty). Never blocks.
  // An error means the channel is gone (QEMU died or closed the socket).
  [[nodiscard]] virtual Result<std::string> read_agent() = 0;
  // Sends bytes to the agent. Blocks at most briefly; fails if the channel is gone.
  [[nodiscard]] virtual Status write_agent(const std::string& bytes) = 0;
  // The state with its reason. A lost hypervisor connection is kUnknown (the backend
  // reconnects by itself); a guest that no longer exists is shut off, gone, with the reason it
  // stopped.
  [[nodiscard]] virtual Result<DomainStatus> status() = 0;
  // Stops the guest now. Safe to call more than once.
  [[nodiscard]] virtual Status destroy() = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;

  // status().state alone.
  [[nodiscard]] Result<DomainState> state();
};

// The optional interfaces. Ask for one with find<T>: nullptr when the backend lacks it.
//
//   if (auto* monitor = vm::find<vm::Monitor>(instance)) regs = monitor->monitor_command(...);
template <class T, class From>
[[nodiscard]] T* find(From& from) {
  return dynamic_cast<T*>(&from);
}

// The hypervisor's monitor and keyboard: what reaches a guest whose agent is silent.
class Monitor {
 public:
  virtual ~Monitor() = default;
  // Host-side sysrq (keyboard Alt+SysRq+key).
  [[nodiscard]] virtual Status send_sysrq(char key) = 0;
  // A QEMU human-monitor command ("info registers -a"); returns what the monitor printed.
  [[nodiscard]] virtual Result<std::string> monitor_command(const std::string& hmp) = 0;
  // A memory-only, kdump-compressed dump of guest RAM, for crash/drgn (needs vmcoreinfo).
  [[nodiscard]] virtual Status dump_memory(const std::filesystem::path& path) = 0;
  // An NMI to every vCPU (with unknown_nmi_panic the kernel prints all tasks, then dies).
  [[nodiscard]] virtual Status inject_nmi() = 0;
};

// The serial console as a telnet server on the host's loopback.
class SerialLine {
 public:
  virtual ~SerialLine() = default;
  // Host-side sysrq over the serial line: a BREAK then the key on the console's telnet
  // chardev. Reaches the kernel even in a livelock, when the keyboard route may not.
  [[nodiscard]] virtual Status send_serial_sysrq(char key) = 0;
  // The console's telnet port on 127.0.0.1 (`telnet 127.0.0.1 PORT` on a kept guest).
  [[nodiscard]] virtual int serial_port() const = 0;
};

// A memory balloon.
class Balloon {
 public:
  virtual ~Balloon() = default;
  // Sets the balloon target (guest memory in MiB).
  [[nodiscard]] virtual Status set_balloon_mib(int mib) = 0;
};

// A guest that can be frozen whole and thawed (a kernel server cannot be SIGSTOPped).
class Pausable {
 public:
  virtual ~Pausable() = default;
  [[nodiscard]] virtual Status pause() = 0;
  [[nodiscard]] virtual Status resume() = 0;
};

// A guest that can outlive its Instance for post-mortem (--keep-wedged).
class Keepable {
 public:
  virtual ~Keepable() = default;
  // Leaves the guest running after this Instance goes away; destroy() then does nothing, and
  // the guest is marked kept so that `wedge gc` leaves it alone.
  virtual void release() = 0;
  // How a human reaches the kept guest (console, monitor, how to destroy it), one line.
  [[nodiscard]] virtual std::string post_mortem_hint() const = 0;
};

// What the host sees of the process running the guest.
class HostProcess {
 public:
  virtual ~HostProcess() = default;
  // The QEMU process running the guest (0: unknown), to tell a stopped or killed QEMU apart.
  [[nodiscard]] virtual int qemu_pid() const = 0;
  [[nodiscard]] virtual NetworkStats network_stats() const = 0;
};

// The QEMU process of an instance that has one, else 0.
[[nodiscard]] inline int qemu_pid_of(Instance& vm) {
  auto* host = find<HostProcess>(vm);
  return host != nullptr ? host->qemu_pid() : 0;
}

// Versions of the hypervisor stack, for reports (a Backend or an Instance may offer them).
class VersionInfo {
 public:
  virtual ~VersionInfo() = default;
  // "7.2.0" and "9.0.0", or "unknown".
  [[nodiscard]] virtual std::string qemu_version() const = 0;
  [[nodiscard]] virtual std::string libvirt_version() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Defines and starts a transient guest. The Instance owns it from then on.
  [[nodiscard]] virtual Result<std::unique_ptr<Instance>> start(const VmSpec& spec) = 0;
  // Names of guests of ours (name starts with "wedge-"), running or left over.
  [[nodiscard]] virtual Result<std::vector<std::string>> list_wedge_domains() = 0;
};

// How a run gets its backend: connected when the run reaches its hypervisor phase (after the
// image is built), so that a failed connection is that run's infra error, with its report.
struct BackendSource {
  std::string phase;  // the run phase while connecting ("libvirt connection")
  std::function<Result<std::unique_ptr<Backend>>()> connect;
};

// One of wedge's guests as `wedge gc` sees it.
struct WedgeDomain {
  std::string name;
  std::string owner;  // Owner::to_string() text from the metadata ("" if none)
  bool kept = false;  // released for post-mortem (--keep-wedged)
  bool active = false;
};

// A backend whose guests can be found and removed after their wedge died (the reaper).
class LeftoverGuests {
 public:
  virtual ~LeftoverGuests() = default;
  // Every wedge guest with the owner and kept flag from its metadata.
  [[nodiscard]] virtual Result<std::vector<WedgeDomain>> wedge_domains() = 0;
  // Stops and undefines a leftover guest by name; refuses names without kDomainPrefix. A guest
  // that is already gone is not an error.
  [[nodiscard]] virtual Status destroy_domain(const std::string& name) = 0;
};

// A backend whose guests a daemon on this host starts (libvirtd): its pid lets a run measure
// how long the host's scheduler kept that daemon waiting while it started a guest.
class DaemonProcess {
 public:
  virtual ~DaemonProcess() = default;
  // 0 when the daemon is not found (another host's daemon, a private socket, no pid file).
  [[nodiscard]] virtual int daemon_pid() const = 0;
};

// The daemon that starts a backend's guests, else 0.
[[nodiscard]] inline int daemon_pid_of(Backend& backend) {
  auto* daemon = find<DaemonProcess>(backend);
  return daemon != nullptr ? daemon->daemon_pid() : 0;
}

// A backend that can tell whether hardware acceleration really works here.
class KvmProbe {
 public:
  virtual ~KvmProbe() = default;
  // False when the hypervisor's user cannot even open /dev/kvm (no probe boot needed).
  [[nodiscard]] virtual Result<bool> kvm_openable() = 0;
  // Boots a short KVM guest from kernel and initrd; true once its kernel prints its banner.
  [[nodiscard]] virtual Result<bool> probe_kvm(const std::filesystem::path& kernel,
                                               const std::filesystem::path& initrd,
                                               const std::filesystem::path& scratch_dir,
                                               std::chrono::milliseconds timeout) = 0;
};

}  // namespace wedge::vm
