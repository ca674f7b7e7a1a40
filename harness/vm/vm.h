// The Vm interface: what a run needs from a virtual machine, independent of how it is
// provided. harness/vm/libvirt implements it on libvirt; tests use a scripted fake.
//
//   WEDGE_TRY(auto vm, backend.start(spec));
//   std::string bytes = *vm->read_console();   // new console output since last call
//   vm->write_agent(frame);                      // to the guest agent's virtio-serial port
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
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
  std::string owner;                   // written into the domain metadata, to find orphans later
  // false: the guest dies with the backend's connection even if wedge crashes. true: it may
  // outlive it once released (--keep-wedged); list_wedge_domains finds it later.
  bool keep_after_exit = false;
  // Raw image files attached as virtio disks, in order: /dev/vda, /dev/vdb, ...
  std::vector<std::filesystem::path> disks;
  // Host folders shared with virtio-9p; the guest mounts each by its tag.
  struct SharedFolder {
    std::filesystem::path host_dir;
    std::string tag;  // letters, digits, '_', '-' (mount -t 9p TAG ...)
  };
  std::vector<SharedFolder> shared_folders;
  // Host loopback ports the guest dials at 10.0.2.2 (the run's servers, through their relays).
  std::vector<int> host_ports;
};

enum class DomainState { kRunning, kPaused, kShutoff, kCrashed, kOther };

[[nodiscard]] const char* to_string(DomainState state);

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
  [[nodiscard]] virtual Result<DomainState> state() = 0;
  // Host-side sysrq (keyboard Alt+SysRq+key), for when the agent is silent.
  [[nodiscard]] virtual Status send_sysrq(char key) = 0;
  // Host-side sysrq over the serial line: a BREAK then the key on the console's telnet
  // chardev. Reaches the kernel even in a livelock, when the keyboard route may not.
  [[nodiscard]] virtual Status send_serial_sysrq(char key) = 0;
  // A QEMU human-monitor command ("info registers -a"); returns what the monitor printed.
  [[nodiscard]] virtual Result<std::string> monitor_command(const std::string& hmp) = 0;
  // A memory-only, kdump-compressed dump of guest RAM, for crash/drgn (needs vmcoreinfo).
  [[nodiscard]] virtual Status dump_memory(const std::filesystem::path& path) = 0;
  // An NMI to every vCPU (with unknown_nmi_panic the kernel prints all tasks, then dies).
  [[nodiscard]] virtual Status inject_nmi() = 0;
  // Leaves the guest running after this Instance goes away (--keep-wedged); destroy() then
  // does nothing. Only a guest started with VmSpec::keep_after_exit also outlives the
  // backend's connection.
  virtual void release() = 0;
  // Sets the balloon target (guest memory in MiB).
  [[nodiscard]] virtual Status set_balloon_mib(int mib) = 0;
  // Stops the guest now. Safe to call more than once.
  [[nodiscard]] virtual Status destroy() = 0;
  // Versions of the hypervisor stack as "qemu" and "libvirt" strings, for reports.
  [[nodiscard]] virtual std::string qemu_version() = 0;
  [[nodiscard]] virtual std::string libvirt_version() = 0;
  [[nodiscard]] virtual const std::string& name() const = 0;
  // The console's telnet port on 127.0.0.1 (`telnet 127.0.0.1 PORT` on a kept guest).
  [[nodiscard]] virtual int serial_port() const = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Defines and starts a transient guest. The Instance owns it from then on.
  [[nodiscard]] virtual Result<std::unique_ptr<Instance>> start(const VmSpec& spec) = 0;
  // Names of leftover guests of ours (name starts with "wedge-").
  [[nodiscard]] virtual Result<std::vector<std::string>> list_wedge_domains() = 0;
};

}  // namespace wedge::vm
