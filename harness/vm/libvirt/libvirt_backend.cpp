// Implementation of libvirt_backend.h (the guests themselves: libvirt_instance.cpp).
#include "harness/vm/libvirt/libvirt_backend.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "harness/util/net.h"
#include "harness/vm/libvirt/daemon_pid.h"
#include "harness/vm/libvirt/domain_log.h"
#include "harness/vm/libvirt/domain_xml.h"
#include "harness/vm/libvirt/kvm_probe.h"
#include "harness/vm/libvirt/kvm_views.h"
#include "harness/vm/libvirt/libvirt_calls.h"
#include "harness/vm/libvirt/libvirt_instance.h"
#include "harness/vm/libvirt/qemu_access.h"
#include "harness/vm/net_gate.h"

namespace wedge::vm {

namespace fs = std::filesystem;

namespace {

// Another process may bind the console port we picked before QEMU does: pick again this often.
constexpr int kSerialPortAttempts = 5;

void ignore_libvirt_error(void* /*user_data*/, virErrorPtr /*error*/) {}

// libvirt prints every error to stderr unless a handler is set; ours are returned instead.
// The default event loop (run on its own thread for the life of the process) is what sends
// keepalives and notices a dead daemon.
void init_libvirt() {
  static std::once_flag once;
  std::call_once(once, [] {
    virInitialize();
    virSetErrorFunc(nullptr, ignore_libvirt_error);
    if (virEventRegisterDefaultImpl() == 0) {
      std::thread([] {
        while (virEventRunDefaultImpl() == 0) {
        }
      }).detach();
    }
  });
}

// The uri to use: the given one, else $WEDGE_LIBVIRT_URI, else the system daemon.
std::string resolve_uri(std::string uri) {
  if (!uri.empty()) return uri;
  const char* env = std::getenv(kLibvirtUriEnv);
  return (env != nullptr && *env != '\0') ? env : kDefaultLibvirtUri;
}
}  // namespace

ConnectHandle& ConnectHandle::operator=(ConnectHandle&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

_virConnect* ConnectHandle::release() {
  _virConnect* conn = conn_;
  conn_ = nullptr;
  return conn;
}

void ConnectHandle::reset(_virConnect* conn) {
  if (conn_ != nullptr) virConnectClose(conn_);
  conn_ = conn;
}

DomainHandle& DomainHandle::operator=(DomainHandle&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

_virDomain* DomainHandle::release() {
  _virDomain* dom = dom_;
  dom_ = nullptr;
  return dom;
}

void DomainHandle::reset(_virDomain* dom) {
  if (dom_ != nullptr) virDomainFree(dom_);
  dom_ = dom;
}

Result<std::unique_ptr<LibvirtGuest>> LibvirtGuest::from(
    Result<std::unique_ptr<Instance>> started) {
  if (!started) return started.error();
  auto* guest = dynamic_cast<LibvirtGuest*>(started->get());
  if (guest == nullptr) return make_error("{} is not a libvirt guest", (*started)->name());
  (void)started->release();
  return std::unique_ptr<LibvirtGuest>(guest);
}

std::string format_libvirt_version(unsigned long version) {
  return fmt::format("{}.{}.{}", version / 1000000, (version / 1000) % 1000, version % 1000);
}

Result<std::unique_ptr<LibvirtBackend>> LibvirtBackend::connect(std::string uri) {
  init_libvirt();
  uri = resolve_uri(std::move(uri));
  ConnectHandle conn(open_connection(uri));
  if (conn.get() == nullptr) return libvirt_error(fmt::format("connecting to libvirt at {}", uri));
  return std::unique_ptr<LibvirtBackend>(
      new LibvirtBackend(std::make_shared<ConnectHandle>(std::move(conn)), std::move(uri)));
}

Result<std::unique_ptr<Instance>> LibvirtBackend::start(const VmSpec& spec) {
  const std::string what = fmt::format("starting domain {}", spec.name);
  if (auto valid = validate_spec(spec); !valid) return valid.error().context(what);
  for (const fs::path& file : {spec.kernel, spec.initrd}) {
    if (!file.empty() && ::access(file.c_str(), R_OK) != 0) {
      return errno_error(fmt::format("{}: {}", what, file.string()), errno);
    }
  }
  for (const fs::path& path : {spec.console_log, spec.agent_socket}) {
    if (auto made = ensure_parent(path); !made) return made.error().context(what);
    // QEMU truncates the log anyway; removing it first means read_console never shows a
    // previous guest's output. A leftover socket file would make QEMU's bind() fail.
    if (auto removed = remove_stale(path); !removed) return removed.error().context(what);
  }
  for (const fs::path& path :
       {net_gate_sockets(spec).from_guest, net_gate_sockets(spec).to_network}) {
    if (auto removed = remove_stale(path); !removed) return removed.error().context(what);
  }
  // Never AUTODESTROY: a guest tied to our connection dies when libvirtd restarts. One whose
  // wedge died is found by its owner in the metadata and reaped (`wedge gc`, every start).
  const unsigned int flags = 0;
  // Under the system daemon QEMU runs as the unprivileged QEMU user (qemu_access.h); a
  // session daemon runs it as wedge's own user already.
  std::optional<QemuFiles> files;
  if (::geteuid() == 0 && uri_.starts_with("qemu:///system")) {
    WEDGE_TRY(QemuUser user, find_qemu_user(kQemuUserName).context(what));
    WEDGE_TRY(files, give_to_qemu(spec, user).context(what));
  }
  VmSpec chosen = files ? files->spec : spec;
  const bool pick_port = spec.serial_port == 0;
  for (int attempt = 1;; ++attempt) {
    if (pick_port) {
      auto port = pick_free_loopback_port();
      if (!port) return port.error().context(what);
      chosen.serial_port = *port;
    }
    const std::string xml = build_domain_xml(chosen);
    DomainLog log(domain_log_path(chosen.name));
    DomainHandle dom(virDomainCreateXML(conn_->get(), xml.c_str(), flags));
    if (dom.get() != nullptr) {
      if (files) files->drop_boot_files();
      WEDGE_TRY(auto instance, start_instance(conn_, uri_, std::move(dom), std::move(chosen),
                                              std::move(log), std::move(files))
                                   .context(what));
      return std::unique_ptr<Instance>(std::move(instance));
    }
    Error error = libvirt_error(fmt::format("{}: virDomainCreateXML", what));
    const bool port_taken = error.message().find("Address already in use") != std::string::npos;
    if (!pick_port || !port_taken || attempt == kSerialPortAttempts) return error;
  }
}

int LibvirtBackend::daemon_pid() const { return libvirt_daemon_pid(uri_); }

Result<std::vector<std::string>> LibvirtBackend::list_wedge_domains() {
  virDomainPtr* domains = nullptr;
  int count = virConnectListAllDomains(conn_->get(), &domains, 0);
  if (count < 0) return libvirt_error("listing libvirt domains");
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    DomainHandle dom(domains[i]);
    const char* name = virDomainGetName(dom.get());
    if (name != nullptr && std::string_view(name).starts_with(kDomainPrefix)) {
      names.emplace_back(name);
    }
  }
  std::free(domains);
  return names;
}

Result<std::vector<WedgeDomain>> LibvirtBackend::wedge_domains() {
  virDomainPtr* domains = nullptr;
  int count = virConnectListAllDomains(conn_->get(), &domains, 0);
  if (count < 0) return libvirt_error("listing libvirt domains");
  std::vector<WedgeDomain> out;
  const std::string ns(kMetadataNamespace);
  for (int i = 0; i < count; ++i) {
    DomainHandle dom(domains[i]);
    const char* name = virDomainGetName(dom.get());
    if (name == nullptr || !std::string_view(name).starts_with(kDomainPrefix)) continue;
    WedgeDomain d;
    d.name = name;
    d.active = virDomainIsActive(dom.get()) == 1;
    char* xml = virDomainGetMetadata(dom.get(), VIR_DOMAIN_METADATA_ELEMENT, ns.c_str(), 0);
    if (xml != nullptr) {
      WedgeMetadata m = parse_metadata(xml);
      std::free(xml);
      d.owner = m.owner;
      d.kept = m.kept;
    }
    out.push_back(std::move(d));
  }
  std::free(domains);
  return out;
}

Status LibvirtBackend::destroy_domain(const std::string& name) {
  if (!name.starts_with(kDomainPrefix)) {
    return make_error("refusing to destroy domain '{}': not one of wedge's", name);
  }
  DomainHandle dom(virDomainLookupByName(conn_->get(), name.c_str()));
  if (dom.get() == nullptr) {
    if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) return ok_status();
    return libvirt_error(fmt::format("looking up domain {}", name));
  }
  if (virDomainIsActive(dom.get()) == 1 && virDomainDestroy(dom.get()) != 0 &&
      !last_error_is_gone()) {
    return libvirt_error(fmt::format("destroying domain {}", name));
  }
  if (virDomainIsPersistent(dom.get()) == 1 && virDomainUndefine(dom.get()) != 0 &&
      !last_error_is_gone()) {
    return libvirt_error(fmt::format("undefining domain {}", name));
  }
  return ok_status();
}

std::string LibvirtBackend::qemu_version() const { return hypervisor_version(conn_->get()); }

std::string LibvirtBackend::libvirt_version() const { return daemon_libvirt_version(conn_->get()); }

Result<bool> LibvirtBackend::kvm_openable() { return qemu_user_may_open_kvm(); }

Result<bool> LibvirtBackend::probe_kvm(const fs::path& kernel, const fs::path& initrd,
                                       const fs::path& scratch_dir,
                                       std::chrono::milliseconds timeout) {
  return vm::probe_kvm(*this, kernel, initrd, scratch_dir, timeout);
}

Status LibvirtBackend::fetch_domain_capabilities() const {
  char* xml = virConnectGetDomainCapabilities(conn_->get(), nullptr, nullptr, nullptr, "qemu", 0);
  if (xml == nullptr) return libvirt_error("virConnectGetDomainCapabilities");
  std::free(xml);
  return ok_status();
}

}  // namespace wedge::vm
