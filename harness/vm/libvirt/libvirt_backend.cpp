// Implementation of libvirt_backend.h.
#include "harness/vm/libvirt/libvirt_backend.h"

#include <fcntl.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/following_file.h"
#include "harness/util/net.h"
#include "harness/util/owner.h"
#include "harness/vm/kdump_file.h"
#include "harness/vm/libvirt/domain_log.h"
#include "harness/vm/libvirt/domain_xml.h"
#include "harness/vm/libvirt/qemu_access.h"
#include "harness/vm/net_gate.h"
#include "harness/vm/serial_sysrq.h"

namespace wedge::vm {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

// At most this much console output is returned per read_console() call; the rest comes next.
constexpr size_t kMaxConsoleChunk = 4 << 20;
// The same for the agent channel: a guest flooding it cannot make one read grow without end.
constexpr size_t kMaxAgentChunk = 4 << 20;
// How long write_agent waits for the channel to take all bytes (QEMU stops reading the
// socket while the guest does not read its port).
constexpr milliseconds kAgentWriteTimeout{2000};
// How long write_agent waits for the channel's socket to appear before giving up.
constexpr milliseconds kAgentConnectTimeout{1000};
// Another process may bind the console port we picked before QEMU does: pick again this often.
constexpr int kSerialPortAttempts = 5;
// Keepalive: a libvirtd that stops answering (hung, SIGSTOPped) fails our calls after about
// interval * (count + 1) seconds instead of blocking them forever.
constexpr int kKeepAliveIntervalS = 2;
constexpr unsigned kKeepAliveCount = 3;
// A lost connection is retried at most this often (libvirtd takes seconds to come back).
constexpr milliseconds kReconnectEvery{1000};
// How long start() waits for QEMU's network gate sockets.
constexpr milliseconds kNetGateTimeout{5000};

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

// Opens uri with keepalive on; nullptr on failure (the libvirt error is set).
virConnectPtr open_connection(const std::string& uri) {
  virConnectPtr conn = virConnectOpen(uri.c_str());
  if (conn != nullptr) (void)virConnectSetKeepAlive(conn, kKeepAliveIntervalS, kKeepAliveCount);
  return conn;
}

// The uri to use: the given one, else $WEDGE_LIBVIRT_URI, else the system daemon.
std::string resolve_uri(std::string uri) {
  if (!uri.empty()) return uri;
  const char* env = std::getenv(kLibvirtUriEnv);
  return (env != nullptr && *env != '\0') ? env : kDefaultLibvirtUri;
}

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

// The pid of the QEMU process whose command line names the guest (0 if none is found). /proc
// works even when libvirt's own pid file is out of reach.
int find_qemu_pid(const std::string& name) {
  const std::string needle = fmt::format("guest={},", name);
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string pid = it->path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_file(it->path() / "cmdline");
    if (!cmdline || cmdline->find("qemu-system") == std::string::npos) continue;
    if (cmdline->find(needle) != std::string::npos) return std::stoi(pid);
  }
  return 0;
}

// The last libvirt error of this thread, prefixed with what was being done.
Error libvirt_error(std::string_view what) {
  const char* message = virGetLastErrorMessage();
  return make_error("{}: {}", what, message != nullptr ? message : "unknown libvirt error");
}

// True when the last libvirt error says the domain does not exist (any more).
bool last_error_is_gone() {
  int code = virGetLastErrorCode();
  return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_OPERATION_INVALID;
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

std::string hypervisor_version(virConnectPtr conn) {
  unsigned long version = 0;
  if (virConnectGetVersion(conn, &version) != 0) return "unknown";
  return format_libvirt_version(version);
}

std::string daemon_libvirt_version(virConnectPtr conn) {
  unsigned long version = 0;
  if (virConnectGetLibVersion(conn, &version) != 0) return "unknown";
  return format_libvirt_version(version);
}

Status remove_stale(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
  if (ec) return make_error("removing stale {}: {}", path.string(), ec.message());
  return ok_status();
}

Status ensure_parent(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return make_error("creating {}: {}", path.parent_path().string(), ec.message());
  return ok_status();
}

class LibvirtInstance final : public Instance {
 public:
  LibvirtInstance(std::shared_ptr<ConnectHandle> conn, std::string uri, DomainHandle dom,
                  VmSpec spec, DomainLog log, std::optional<QemuFiles> files)
      : conn_(std::move(conn)),
        uri_(std::move(uri)),
        dom_(std::move(dom)),
        spec_(std::move(spec)),
        files_(std::move(files)),
        console_(spec_.console_log),
        log_(std::move(log)) {
    qemu_version_ = hypervisor_version(conn_->get());
    libvirt_version_ = daemon_libvirt_version(conn_->get());
    qemu_pid_ = find_qemu_pid(spec_.name);
  }
  // Starts the network gate; on failure the caller destroys the guest.
  Status open_network() {
    const NetGateSockets sockets = net_gate_sockets(spec_);
    WEDGE_TRY(gate_, NetGate::start(sockets.from_guest, sockets.to_network, spec_.host_ports,
                                    kNetGateTimeout));
    return ok_status();
  }
  LibvirtInstance(const LibvirtInstance&) = delete;
  LibvirtInstance& operator=(const LibvirtInstance&) = delete;
  ~LibvirtInstance() override { (void)destroy(); }

  Result<std::string> read_console() override;
  Result<std::string> read_agent() override;
  Status write_agent(const std::string& bytes) override;
  Result<DomainState> state() override;
  Result<DomainStatus> status() override;
  int qemu_pid() const override { return qemu_pid_; }
  NetworkStats network_stats() const override {
    if (!gate_) return network_;
    NetGate::Stats g = gate_->stats();
    return {g.passed_frames, g.dropped_frames + g.queue_drops, g.last_dropped};
  }
  Status send_sysrq(char key) override;
  Status set_balloon_mib(int mib) override;
  Status destroy() override;
  Status send_serial_sysrq(char key) override;
  Result<std::string> monitor_command(const std::string& hmp) override;
  Status dump_memory(const std::filesystem::path& path) override;
  Status inject_nmi() override;
  void release() override;
  std::string qemu_version() override { return qemu_version_; }
  std::string libvirt_version() override { return libvirt_version_; }
  const std::string& name() const override { return spec_.name; }
  int serial_port() const override { return spec_.serial_port; }

 private:
  // Connects to the agent socket if not yet connected. False: the socket is not there yet.
  Result<bool> connect_agent();
  Error agent_closed() {
    agent_fd_.reset();
    agent_closed_ = true;
    return make_error("{}: agent channel closed", spec_.name);
  }
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
  UniqueFd agent_fd_;
  bool agent_closed_ = false;
  bool agent_write_cut_ = false;  // a write stalled after sending part of its bytes
};

Result<std::string> LibvirtInstance::read_console() {
  // virtlogd writes the console and rotates it at its max_size (console.log becomes
  // console.log.0): FollowingFile drains the old file, then follows the new one.
  return console_.read(kMaxConsoleChunk);
}

Result<bool> LibvirtInstance::connect_agent() {
  if (agent_fd_.valid()) return true;
  if (agent_closed_) return agent_closed();
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("agent channel: socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = spec_.agent_socket.string();
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);  // length checked by validate_spec
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // Not there yet (QEMU still starting), or its backlog is momentarily full: try later.
    if (errno == ENOENT || errno == ECONNREFUSED || errno == EAGAIN) return false;
    return errno_error(fmt::format("agent channel: connect {}", path), errno);
  }
  agent_fd_ = std::move(fd);
  return true;
}

Result<std::string> LibvirtInstance::read_agent() {
  WEDGE_TRY(bool connected, connect_agent());
  if (!connected) return std::string();
  std::string out;
  char buf[65536];
  while (out.size() < kMaxAgentChunk) {
    ssize_t n = ::recv(agent_fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno != ECONNRESET) {
      return errno_error(fmt::format("{}: agent channel: recv", spec_.name), errno);
    }
    // EOF or reset: hand out what arrived first; the next call reports the closed channel.
    if (!out.empty()) {
      agent_fd_.reset();
      agent_closed_ = true;
      return out;
    }
    return agent_closed();
  }
  return out;
}

Status LibvirtInstance::write_agent(const std::string& bytes) {
  auto connect_deadline = steady_clock::now() + kAgentConnectTimeout;
  while (true) {
    WEDGE_TRY(bool connected, connect_agent());
    if (connected) break;
    if (steady_clock::now() >= connect_deadline) {
      return make_error("{}: agent channel {} did not appear within {} ms", spec_.name,
                        spec_.agent_socket.string(), kAgentConnectTimeout.count());
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  if (agent_write_cut_) {
    // Part of a frame went out: whatever follows would be misread by the agent.
    return make_error("{}: agent channel: an earlier write was cut short", spec_.name);
  }
  auto deadline = steady_clock::now() + kAgentWriteTimeout;
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(agent_fd_.get(), bytes.data() + sent, bytes.size() - sent,
                       MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return agent_closed();
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return errno_error(fmt::format("{}: agent channel: send", spec_.name), errno);
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) {
      if (sent > 0) agent_write_cut_ = true;
      return make_error("{}: agent channel: write stalled ({} of {} bytes sent in {} ms)",
                        spec_.name, sent, bytes.size(), kAgentWriteTimeout.count());
    }
    pollfd pfd{agent_fd_.get(), POLLOUT, 0};
    ::poll(&pfd, 1, static_cast<int>(left.count()));
  }
  return ok_status();
}

Result<DomainState> LibvirtInstance::state() {
  WEDGE_TRY(DomainStatus s, status());
  return s.state;
}

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

void LibvirtInstance::release() {
  released_ = true;
  // Marked kept, so that `wedge gc` leaves it alone once this wedge is gone.
  const std::string element = metadata_element(spec_.owner, /*kept=*/true);
  const std::string ns(kMetadataNamespace);
  const std::string prefix(kMetadataPrefix);
  (void)virDomainSetMetadata(dom_.get(), VIR_DOMAIN_METADATA_ELEMENT, element.c_str(),
                             prefix.c_str(), ns.c_str(), VIR_DOMAIN_AFFECT_LIVE);
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
  agent_fd_.reset();
  agent_closed_ = true;  // QEMU takes the socket with it
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
      auto instance = std::make_unique<LibvirtInstance>(
          conn_, uri_, std::move(dom), std::move(chosen), std::move(log), std::move(files));
      if (auto net = instance->open_network(); !net) {
        (void)instance->destroy();
        return net.error().context(what);
      }
      return std::unique_ptr<Instance>(std::move(instance));
    }
    Error error = libvirt_error(fmt::format("{}: virDomainCreateXML", what));
    const bool port_taken = error.message().find("Address already in use") != std::string::npos;
    if (!pick_port || !port_taken || attempt == kSerialPortAttempts) return error;
  }
}

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

Status LibvirtBackend::fetch_domain_capabilities() const {
  char* xml = virConnectGetDomainCapabilities(conn_->get(), nullptr, nullptr, nullptr, "qemu", 0);
  if (xml == nullptr) return libvirt_error("virConnectGetDomainCapabilities");
  std::free(xml);
  return ok_status();
}

}  // namespace wedge::vm
