// The Vm interface on libvirt: transient guests that survive a libvirtd restart (never tied to
// our connection; owner and kept flag in their metadata so that dead wedges' guests are
// reaped), a connection with keepalive that is reopened when libvirtd comes back, the console
// read from its log file and reachable as a loopback telnet server, the agent reached through
// the unix socket of a virtio-serial channel, the network through a NetGate (net_gate.h).
//
//   // $WEDGE_LIBVIRT_URI or qemu:///system
//   WEDGE_TRY(auto backend, vm::LibvirtBackend::connect());
//   WEDGE_TRY(auto guest, backend->start(spec));
//   WEDGE_CHECK(guest->send_serial_sysrq('w'));
//
// An Instance is used by one thread at a time; the backend itself may be shared.
//
// libvirt types stay out of this header (only their opaque struct names are declared), so code
// that includes it does not include libvirt.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "harness/util/result.h"
#include "harness/vm/vm.h"

// libvirt's opaque handle types (virConnectPtr is _virConnect*, virDomainPtr is _virDomain*).
struct _virConnect;
struct _virDomain;

namespace wedge::vm {

inline constexpr const char* kDefaultLibvirtUri = "qemu:///system";
inline constexpr const char* kLibvirtUriEnv = "WEDGE_LIBVIRT_URI";

// Owns a libvirt connection and closes it on destruction.
class ConnectHandle {
 public:
  ConnectHandle() = default;
  explicit ConnectHandle(_virConnect* conn) : conn_(conn) {}
  ConnectHandle(ConnectHandle&& other) noexcept : conn_(other.release()) {}
  ConnectHandle& operator=(ConnectHandle&& other) noexcept;
  ConnectHandle(const ConnectHandle&) = delete;
  ConnectHandle& operator=(const ConnectHandle&) = delete;
  ~ConnectHandle() { reset(); }

  [[nodiscard]] _virConnect* get() const { return conn_; }
  _virConnect* release();
  void reset(_virConnect* conn = nullptr);

 private:
  _virConnect* conn_ = nullptr;
};

// Owns a reference to a libvirt domain object (not the guest itself: freeing the handle
// leaves the guest running).
class DomainHandle {
 public:
  DomainHandle() = default;
  explicit DomainHandle(_virDomain* dom) : dom_(dom) {}
  DomainHandle(DomainHandle&& other) noexcept : dom_(other.release()) {}
  DomainHandle& operator=(DomainHandle&& other) noexcept;
  DomainHandle(const DomainHandle&) = delete;
  DomainHandle& operator=(const DomainHandle&) = delete;
  ~DomainHandle() { reset(); }

  [[nodiscard]] _virDomain* get() const { return dom_; }
  _virDomain* release();
  void reset(_virDomain* dom = nullptr);

 private:
  _virDomain* dom_ = nullptr;
};

// A libvirt guest: the Instance with every optional interface of vm.h, for code that holds one
// by its backend's type (the backend's own tests).
//
//   auto guest = LibvirtGuest::from(backend->start(spec));
//   WEDGE_CHECK((*guest)->send_sysrq('w'));
class LibvirtGuest : public Instance,
                     public Monitor,
                     public SerialLine,
                     public Balloon,
                     public Pausable,
                     public Keepable,
                     public HostProcess,
                     public VersionInfo {
 public:
  // The started Instance as a LibvirtGuest (every Instance a LibvirtBackend starts is one).
  [[nodiscard]] static Result<std::unique_ptr<LibvirtGuest>> from(
      Result<std::unique_ptr<Instance>> started);
};

// Formats libvirt's packed version numbers: 7002000 -> "7.2.0".
[[nodiscard]] std::string format_libvirt_version(unsigned long version);

// A Backend with every optional backend interface of vm.h; its Instances implement every
// optional instance interface (Monitor, SerialLine, Balloon, Keepable, HostProcess,
// VersionInfo).
class LibvirtBackend final : public Backend,
                             public VersionInfo,
                             public LeftoverGuests,
                             public KvmProbe,
                             public DaemonProcess {
 public:
  // Opens uri; an empty uri means $WEDGE_LIBVIRT_URI, else kDefaultLibvirtUri.
  // Also silences libvirt's default error printing to stderr (errors come back as Results).
  [[nodiscard]] static Result<std::unique_ptr<LibvirtBackend>> connect(std::string uri = "");

  // Validates spec, removes a stale console log and sockets at its paths, picks a free
  // loopback port for the console when spec.serial_port is 0 (again if QEMU finds it taken),
  // starts a transient guest and connects its network gate. The Instance may outlive the
  // backend.
  [[nodiscard]] Result<std::unique_ptr<Instance>> start(const VmSpec& spec) override;
  [[nodiscard]] Result<std::vector<std::string>> list_wedge_domains() override;
  // Every wedge guest with the owner and kept flag from its metadata.
  [[nodiscard]] Result<std::vector<WedgeDomain>> wedge_domains() override;

  // Stops and undefines a leftover guest by name (one from list_wedge_domains); refuses names
  // without kDomainPrefix. A guest that is already gone is not an error.
  [[nodiscard]] Status destroy_domain(const std::string& name) override;

  // Whether libvirt-qemu may open /dev/kvm (kvm_views.h), and a probe boot (kvm_probe.h).
  [[nodiscard]] Result<bool> kvm_openable() override;
  [[nodiscard]] Result<bool> probe_kvm(const std::filesystem::path& kernel,
                                       const std::filesystem::path& initrd,
                                       const std::filesystem::path& scratch_dir,
                                       std::chrono::milliseconds timeout) override;

  [[nodiscard]] const std::string& uri() const { return uri_; }
  // The system daemon's pid for qemu:///system, else 0 (daemon_pid.h).
  [[nodiscard]] int daemon_pid() const override;
  // "7.2.0" and "9.0.0" (the daemon's libvirt), or "unknown".
  [[nodiscard]] std::string qemu_version() const override;
  [[nodiscard]] std::string libvirt_version() const override;
  // Asks the daemon for TCG domain capabilities, which makes it validate (or re-probe) its
  // cached QEMU capabilities (capability_cache.h).
  [[nodiscard]] Status fetch_domain_capabilities() const;

 private:
  LibvirtBackend(std::shared_ptr<ConnectHandle> conn, std::string uri)
      : conn_(std::move(conn)), uri_(std::move(uri)) {}
  // conn_ is shared with every Instance started from it; an Instance that finds it dead opens
  // a new one in its place (libvirtd restarted).
  std::shared_ptr<ConnectHandle> conn_;  // shared with every Instance started from it
  std::string uri_;
};

}  // namespace wedge::vm
