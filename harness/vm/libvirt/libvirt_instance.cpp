// Implementation of libvirt_instance.h.
#include "harness/vm/libvirt/libvirt_instance.h"

#include <fcntl.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "harness/util/files.h"
#include "harness/util/following_file.h"
#include "harness/util/timeouts.h"
#include "harness/vm/agent_channel.h"
#include "harness/vm/kdump_file.h"
#include "harness/vm/libvirt/domain_xml.h"
#include "harness/vm/libvirt/libvirt_calls.h"
#include "harness/vm/net_gate.h"
#include "harness/vm/serial_sysrq.h"

namespace wedge::vm {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// At most this much console output is returned per read_console() call; the rest comes next.
constexpr size_t kMaxConsoleChunk = 4 << 20;
// A lost connection is retried at most this often (libvirtd takes seconds to come back).
const milliseconds kReconnectEvery = Timeouts{}.libvirt_reconnect;

std::string paused_reason(int reason) {
  switch (reason) {
    case VIR_DOMAIN_PAUSED_USER:
      return "user";
    case VIR_DOMAIN_PAUSED_MIGRATION:
      return "migration";
    case VIR_DOMAIN_PAUSED_SAVE:
      return "save";
    case VIR_DOMAIN_PAUSED_DUMP:
      return "dump";
    case VIR_DOMAIN_PAUSED_IOERROR:
      return "ioerror";
    case VIR_DOMAIN_PAUSED_WATCHDOG:
      return "watchdog";
    case VIR_DOMAIN_PAUSED_SHUTTING_DOWN:
      return "shutting_down";
    case VIR_DOMAIN_PAUSED_CRASHED:
      return "crashed";
    case VIR_DOMAIN_PAUSED_STARTING_UP:
      return "starting_up";
    default:
      return fmt::format("reason {}", reason);
  }
}

std::string shutoff_reason(int reason) {
  switch (reason) {
    case VIR_DOMAIN_SHUTOFF_SHUTDOWN:
      return "shutdown";
    case VIR_DOMAIN_SHUTOFF_DESTROYED:
      return "destroyed";
    case VIR_DOMAIN_SHUTOFF_CRASHED:
      return "crashed";
    case VIR_DOMAIN_SHUTOFF_FAILED:
      return "failed";
    case VIR_DOMAIN_SHUTOFF_DAEMON:
      return "daemon";
    default:
      return fmt::format("reason {}", reason);
  }
}

Result<unsigned int> sysrq_keycode(char key) {
  switch (key) {
    // clang-format off
    case 'a': return KEY_A;  case 'b': return KEY_B;  case 'c': return KEY_C;
    case 'd': return KEY_D;  case 'e': return KEY_E;  case 'f': return KEY_F;
    case 'g': return KEY_G;  case 'h': return KEY_H;  case 'i': return KEY_I;
    case 'j': return KEY_J;  case 'k': return KEY_K;  case 'l': return KEY_L;
    case 'm': return KEY_M;  case 'n': return KEY_N;  case 'o': return KEY_O;
    case 'p': return KEY_P;  case 'q': return KEY_Q;  case 'r': return KEY_R;
    case 's': return KEY_S;  case 't': return KEY_T;  case 'u': return KEY_U;
    case 'v': return KEY_V;  case 'w': return KEY_W;  case 'x': return KEY_X;
    case 'y': return KEY_Y;  case 'z': return KEY_Z;
    case '0': return KEY_0;  case '1': return KEY_1;  case '2': return KEY_2;
    case '3': return KEY_3;  case '4': return KEY_4;  case '5': return KEY_5;
    case '6': return KEY_6;  case '7': return KEY_7;  case '8': return KEY_8;
    case '9': return KEY_9;
    // clang-format on
    default:
      return make_error("no sysrq key for character 0x{:02x}",
                        static_cast<int>(static_cast<unsigned char>(key)));
  }
}

class LibvirtInstance final : public LibvirtGuest {
 public:
  LibvirtInstance(std::shared_ptr<ConnectHandle> conn, std::string uri, DomainHandle dom,
                  VmSpec spec, DomainLog log, std::optional<QemuFiles> files)
      : conn_(std::move(conn)),
        uri_(std::move(uri)),
        dom_(std::move(dom)),
        spec_(std::move(spec)),
        files_(std::move(files)),
        console_(spec_.console_log),
        log_(std::move(log)),
        agent_(spec_.agent_socket, spec_.name) {
    qemu_version_ = hypervisor_version(conn_->get());
    libvirt_version_ = daemon_libvirt_version(conn_->get());
    qemu_pid_ = find_qemu_pid(spec_.name);
  }
  // Starts the network gate and the host ports QEMU forwards into the guest (slirp's
  // hostfwd, added through the monitor: libvirt's user network has no such element without
  // passt); on failure the caller destroys the guest.
  Status open_network() {
    const NetGateSockets sockets = net_gate_sockets(spec_);
    std::vector<int> served;
    for (const auto& f : spec_.forwards) served.push_back(f.guest_port);
    WEDGE_TRY(gate_, NetGate::start(sockets.from_guest, sockets.to_network, spec_.host_ports,
                                    Timeouts{}.net_gate, served));
    for (const auto& f : spec_.forwards) {
      const std::string rule = fmt::format("tcp:127.0.0.1:{}-:{}", f.host_port, f.guest_port);
      WEDGE_TRY(std::string said,
                monitor_command(fmt::format("hostfwd_add {} {}", kNetdevId, rule)));
      if (said.find_first_not_of(" \r\n") != std::string::npos) {
        return make_error("{}: forwarding {}: {}", spec_.name, rule, said);
      }
    }
    return ok_status();
  }
  LibvirtInstance(const LibvirtInstance&) = delete;
  LibvirtInstance& operator=(const LibvirtInstance&) = delete;
  ~LibvirtInstance() override { (void)destroy(); }

  Result<std::string> read_console() override;
  Result<std::string> read_agent() override;
  Status write_agent(const std::string& bytes) override;
  Result<DomainStatus> status() override;
  int qemu_pid() const override { return qemu_pid_; }
  NetworkStats network_stats() const override {
    if (!gate_) return network_;
    NetGate::Stats g = gate_->stats();
    return {g.passed_frames, g.dropped_frames + g.queue_drops, g.last_dropped};
  }
  Status send_sysrq(char key) override;
  Status set_balloon_mib(int mib) override;
  Status pause() override;
  Status resume() override;
  Status destroy() override;
  Status send_serial_sysrq(char key) override;
  Result<std::string> monitor_command(const std::string& hmp) override;
  Status dump_memory(const std::filesystem::path& path) override;
  Status inject_nmi() override;
  void release() override;
  std::string post_mortem_hint() const override;
  std::string qemu_version() const override { return qemu_version_; }
  std::string libvirt_version() const override { return libvirt_version_; }
  const std::string& name() const override { return spec_.name; }
  int serial_port() const override { return spec_.serial_port; }

 private:
  // A guest that no longer exists: shut off, with the reason libvirt logged.
  DomainStatus gone_status() const;
  // After a failed call: whether libvirt's connection is the problem. When it is dead, opens a
  // new one (at most every kReconnectEvery) and looks the guest up again on it.
  enum class Link { kAlive, kReconnected, kDown };
  Link check_link();
  DomainStatus describe_state(int state, int reason) const;
  // Kills QEMU directly when libvirt cannot be reached to destroy the guest.
  Status kill_qemu(const std::string& why);

  std::shared_ptr<ConnectHandle> conn_;
  std::string uri_;
  DomainHandle dom_;
  VmSpec spec_;
  std::optional<QemuFiles> files_;  // QEMU's own folder (sockets), while the guest runs
  std::string qemu_version_;
  std::string libvirt_version_;
  bool destroyed_ = false;
  bool released_ = false;
  FollowingFile console_;
  DomainLog log_;
  int qemu_pid_ = 0;
  std::unique_ptr<NetGate> gate_;
  NetworkStats network_;  // the gate's last numbers once it is gone
  steady_clock::time_point last_reconnect_{};
  std::string connection_error_;  // why libvirt is unreachable, while it is
  AgentChannel agent_;
};

Result<std::string> LibvirtInstance::read_console() {
  // virtlogd writes the console and rotates it at its max_size (console.log becomes
  // console.log.0): FollowingFile drains the old file, then follows the new one.
  return console_.read(kMaxConsoleChunk);
}

Result<std::string> LibvirtInstance::read_agent() { return agent_.read(); }

Status LibvirtInstance::write_agent(const std::string& bytes) { return agent_.write(bytes); }

DomainStatus LibvirtInstance::gone_status() const {
  DomainEnd end = parse_domain_end(log_.read_new());
  DomainStatus s;
  s.state = DomainState::kShutoff;
  s.gone = true;
  s.reason = end.reason.empty() ? "gone" : end.reason;
  s.detail = end.detail;
  return s;
}

LibvirtInstance::Link LibvirtInstance::check_link() {
  if (virConnectIsAlive(conn_->get()) == 1) return Link::kAlive;
  if (connection_error_.empty()) {
    const char* message = virGetLastErrorMessage();
    connection_error_ = message != nullptr && std::string_view(message) != "no error"
                            ? message
                            : "the daemon closed the connection";
  }
  auto now = steady_clock::now();
  if (now - last_reconnect_ < kReconnectEvery) return Link::kDown;
  last_reconnect_ = now;
  virConnectPtr fresh = open_connection(uri_);
  if (fresh == nullptr) return Link::kDown;
  conn_->reset(fresh);
  dom_.reset(virDomainLookupByName(conn_->get(), spec_.name.c_str()));
  connection_error_.clear();
  return Link::kReconnected;
}

DomainStatus LibvirtInstance::describe_state(int state, int reason) const {
  DomainStatus s;
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      s.state = DomainState::kRunning;
      break;
    case VIR_DOMAIN_PAUSED:
      s.state = DomainState::kPaused;
      s.reason = paused_reason(reason);
      break;
    case VIR_DOMAIN_SHUTOFF:
      s.state = DomainState::kShutoff;
      s.reason = shutoff_reason(reason);
      s.detail = parse_domain_end(log_.read_new()).detail;
      break;
    case VIR_DOMAIN_CRASHED:
      s.state = DomainState::kCrashed;
      s.reason = "guest panicked";
      break;
    default:
      s.state = DomainState::kOther;
      break;
  }
  return s;
}

Result<DomainStatus> LibvirtInstance::status() {
  if (destroyed_) {
    DomainStatus s;
    s.state = DomainState::kShutoff;
    s.reason = "destroyed";
    s.gone = true;
    return s;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (dom_.get() != nullptr) {
      int state = 0;
      int reason = 0;
      if (virDomainGetState(dom_.get(), &state, &reason, 0) == 0) {
        return describe_state(state, reason);
      }
      if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) return gone_status();
    }
    switch (check_link()) {
      case Link::kDown: {
        DomainStatus s;
        s.state = DomainState::kUnknown;
        s.reason = fmt::format("libvirt unreachable at {}: {}", uri_, connection_error_);
        return s;
      }
      case Link::kReconnected:
        if (dom_.get() == nullptr) return gone_status();  // it did not survive the restart
        continue;                                         // ask again on the new connection
      case Link::kAlive:
        if (dom_.get() == nullptr) return gone_status();
        return libvirt_error(fmt::format("{}: virDomainGetState", spec_.name));
    }
  }
  return libvirt_error(fmt::format("{}: virDomainGetState", spec_.name));
}

Status LibvirtInstance::send_sysrq(char key) {
  char lower = (key >= 'A' && key <= 'Z') ? static_cast<char>(key - 'A' + 'a') : key;
  auto code = sysrq_keycode(lower);
  if (!code) return code.error().context(fmt::format("{}: send_sysrq", spec_.name));
  // Pressed in order and released in reverse: the Alt+SysRq+key chord of a PC keyboard.
  unsigned int keys[] = {KEY_LEFTALT, KEY_SYSRQ, *code};
  if (virDomainSendKey(dom_.get(), VIR_KEYCODE_SET_LINUX, /*holdtime=*/0, keys, 3, 0) != 0) {
    return libvirt_error(fmt::format("{}: sending sysrq '{}'", spec_.name, lower));
  }
  return ok_status();
}

Status LibvirtInstance::set_balloon_mib(int mib) {
  if (mib < 1 || mib > spec_.memory_mib) {
    return make_error("{}: balloon target {} MiB outside 1..{}", spec_.name, mib, spec_.memory_mib);
  }
  unsigned long kib = static_cast<unsigned long>(mib) * 1024;
  if (virDomainSetMemoryFlags(dom_.get(), kib, VIR_DOMAIN_AFFECT_LIVE) != 0) {
    return libvirt_error(fmt::format("{}: setting balloon to {} MiB", spec_.name, mib));
  }
  return ok_status();
}

Status LibvirtInstance::pause() {
  if (virDomainSuspend(dom_.get()) != 0) return libvirt_error(fmt::format("{}: pause", spec_.name));
  return ok_status();
}

Status LibvirtInstance::resume() {
  if (virDomainResume(dom_.get()) != 0) return libvirt_error(fmt::format("{}: resume", spec_.name));
  return ok_status();
}

void LibvirtInstance::release() {
  released_ = true;
  // Marked kept, so that `wedge gc` leaves it alone once this wedge is gone.
  const std::string element = metadata_element(spec_.owner, /*kept=*/true);
  const std::string ns(kMetadataNamespace);
  const std::string prefix(kMetadataPrefix);
  (void)virDomainSetMetadata(dom_.get(), VIR_DOMAIN_METADATA_ELEMENT, element.c_str(),
                             prefix.c_str(), ns.c_str(), VIR_DOMAIN_AFFECT_LIVE);
}

std::string LibvirtInstance::post_mortem_hint() const {
  const std::string& n = spec_.name;
  return fmt::format(
      "Console: telnet 127.0.0.1 {} (or virsh -c qemu:///system console {}); monitor: virsh -c "
      "qemu:///system qemu-monitor-command --hmp {} 'info registers -a'; when done: virsh -c "
      "qemu:///system destroy {}",
      spec_.serial_port, n, n, n);
}

Status LibvirtInstance::kill_qemu(const std::string& why) {
  if (qemu_pid_ <= 0 || find_qemu_pid(spec_.name) != qemu_pid_) {
    return make_error("{}: {}; QEMU's pid is unknown, so the guest is left to `wedge gc`",
                      spec_.name, why);
  }
  if (::kill(qemu_pid_, SIGKILL) != 0 && errno != ESRCH) {
    return errno_error(fmt::format("{}: {}; kill QEMU (pid {})", spec_.name, why, qemu_pid_),
                       errno);
  }
  destroyed_ = true;
  return ok_status();
}

Status LibvirtInstance::destroy() {
  if (destroyed_ || released_) return ok_status();
  network_ = network_stats();  // kept for the report
  gate_.reset();
  agent_.close();  // QEMU takes the socket with it
  if (dom_.get() == nullptr || virDomainDestroy(dom_.get()) != 0) {
    if (dom_.get() != nullptr && last_error_is_gone()) {
      destroyed_ = true;
      return ok_status();
    }
    Link link = check_link();
    if (link == Link::kDown) {
      // libvirt is gone: QEMU must not outlive the run all the same.
      return kill_qemu(fmt::format("libvirt unreachable ({})", connection_error_));
    }
    if (dom_.get() == nullptr) {  // libvirt came back without the guest
      if (qemu_pid_ > 0 && find_qemu_pid(spec_.name) == qemu_pid_) return kill_qemu("orphaned");
      destroyed_ = true;
      return ok_status();
    }
    if (virDomainDestroy(dom_.get()) != 0 && !last_error_is_gone()) {
      return libvirt_error(fmt::format("{}: virDomainDestroy", spec_.name));
    }
  }
  destroyed_ = true;
  return ok_status();
}

Status LibvirtInstance::send_serial_sysrq(char key) {
  // A fresh connection each time: a client that stays connected but stops reading would fill
  // its socket, and QEMU would then hold back console output (the log file included).
  return send_telnet_break_sysrq(spec_.serial_port, key).context(spec_.name);
}

Result<std::string> LibvirtInstance::monitor_command(const std::string& hmp) {
  char* reply = nullptr;
  if (virDomainQemuMonitorCommand(dom_.get(), hmp.c_str(), &reply,
                                  VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) != 0) {
    return libvirt_error(fmt::format("{}: monitor command '{}'", spec_.name, hmp));
  }
  std::string out = reply != nullptr ? reply : "";
  std::free(reply);
  return out;
}

Status LibvirtInstance::dump_memory(const std::filesystem::path& path) {
  const std::string what = fmt::format("{}: memory dump to {}", spec_.name, path.string());
  if (auto made = ensure_parent(path); !made) return made.error().context(what);
  // QEMU (before 8.2) writes kdump formats flattened; the seekable file is rebuilt from it.
  const fs::path flat = path.string() + ".flat";
  if (auto removed = remove_stale(flat); !removed) return removed.error().context(what);
  if (virDomainCoreDumpWithFormat(dom_.get(), flat.c_str(), VIR_DOMAIN_CORE_DUMP_FORMAT_KDUMP_ZLIB,
                                  VIR_DUMP_MEMORY_ONLY) != 0) {
    Error error = libvirt_error(what);
    (void)remove_stale(flat);
    return error;
  }
  std::string head(16, '\0');
  {
    UniqueFd fd(::open(flat.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return errno_error(fmt::format("{}: {}", what, flat.string()), errno);
    ssize_t n = ::read(fd.get(), head.data(), head.size());
    head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  Status done = ok_status();
  switch (detect_dump_format(head)) {
    case DumpFormat::kFlattened:
      done = unflatten_kdump(flat, path);
      break;
    case DumpFormat::kKdump: {
      std::error_code ec;
      fs::rename(flat, path, ec);
      if (ec) done = make_error("renaming {}: {}", flat.string(), ec.message());
      break;
    }
    case DumpFormat::kUnknown:
      done = make_error("{} is neither a kdump nor a flattened kdump file", flat.string());
      break;
  }
  (void)remove_stale(flat);
  if (!done) return done.error().context(what);
  return ok_status();
}

Status LibvirtInstance::inject_nmi() {
  if (virDomainInjectNMI(dom_.get(), 0) != 0) {
    return libvirt_error(fmt::format("{}: inject NMI", spec_.name));
  }
  return ok_status();
}
}  // namespace

Result<std::unique_ptr<LibvirtGuest>> start_instance(std::shared_ptr<ConnectHandle> conn,
                                                     std::string uri, DomainHandle dom, VmSpec spec,
                                                     DomainLog log,
                                                     std::optional<QemuFiles> files) {
  auto instance =
      std::make_unique<LibvirtInstance>(std::move(conn), std::move(uri), std::move(dom),
                                        std::move(spec), std::move(log), std::move(files));
  if (auto net = instance->open_network(); !net) {
    (void)instance->destroy();
    return net.error();
  }
  return std::unique_ptr<LibvirtGuest>(std::move(instance));
}

}  // namespace wedge::vm
