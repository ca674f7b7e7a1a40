// Implementation of nbd_server.h.
#include "harness/storage/nbd_server.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "harness/storage/ports.h"
#include "harness/storage/proc_net_tcp.h"
#include "harness/util/files.h"
#include "harness/util/net.h"

namespace wedge::storage {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kNbdServer = "nbd-server";
constexpr const char* kNbdkit = "nbdkit";
// Another process can take the port we picked before the server binds it.
constexpr int kStartAttempts = 3;
constexpr milliseconds kVersionTimeout{5000};
constexpr milliseconds kStopGrace{2000};
constexpr milliseconds kSupervisePoll{20};
// A process that ends this soon after starting did not serve a session: after a few in a row,
// stop restarting it (healthy() turns false and its log tells why).
constexpr milliseconds kQuickExit{1000};
constexpr int kMaxQuickExits = 5;

bool is_export_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

Status validate(const NbdServerOptions& options) {
  if (options.flavour != kNbdServer && options.flavour != kNbdkit) {
    return make_error("unknown NBD server flavour '{}' (use nbd-server or nbdkit)",
                      options.flavour);
  }
  if (options.export_file.empty()) return make_error("export_file is not set");
  if (options.work_dir.empty()) return make_error("work_dir is not set");
  if (options.size_bytes == 0) return make_error("size_bytes is 0");
  if (options.export_name.empty() || options.export_name == "generic") {
    return make_error("export name '{}' is not usable", options.export_name);
  }
  for (char c : options.export_name) {
    if (!is_export_name_char(c)) {
      return make_error("export name '{}' may only hold letters, digits, '.', '_' and '-'",
                        options.export_name);
    }
  }
  if (options.flavour == kNbdServer &&
      (!options.nbdkit_filters.empty() || !options.nbdkit_params.empty())) {
    return make_error("nbdkit filters and parameters need flavour nbdkit");
  }
  return ok_status();
}

// nbd-server reads its config with GLib's key-file parser, which strips leading blanks and
// interprets backslash escapes in values.
std::string keyfile_value(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == ' ' && i == 0) {
      out += "\\s";
    } else {
      out += c;
    }
  }
  return out;
}

std::string nbd_server_config(int port, const NbdServerOptions& options,
                              const fs::path& export_file) {
  return fmt::format(
      "# nbd-server configuration written by wedge (see nbd-server(5)).\n"
      "[generic]\n"
      "port = {}\n"
      "listenaddr = 127.0.0.1\n"
      "[{}]\n"
      "exportname = {}\n",
      port, options.export_name, keyfile_value(export_file.string()));
}

// "This is nbd-server version 3.24" -> "nbd-server 3.24"; "nbdkit 1.32.5" -> "nbdkit 1.32.5".
Result<std::string> query_version(const fs::path& exe, const std::string& flavour) {
  std::vector<std::string> argv = {exe.string(), flavour == kNbdServer ? "-V" : "--version"};
  WEDGE_TRY(CommandOutput out, run_checked(argv, kVersionTimeout));
  std::string_view text = out.out.empty() ? std::string_view(out.err) : std::string_view(out.out);
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  size_t space = text.rfind(' ');
  if (text.empty() || space == std::string_view::npos) {
    return make_error("{}: unexpected version output '{}'", exe.string(), text);
  }
  return fmt::format("{} {}", flavour, text.substr(space + 1));
}

std::vector<std::string> server_argv(const fs::path& exe, const NbdServerOptions& options, int port,
                                     const fs::path& export_file, const fs::path& config) {
  if (options.flavour == kNbdServer) {
    // -d: stay in the foreground as our child (see nbd_server.h for what else it implies).
    return {exe.string(), "-C", config.string(), "-d"};
  }
  std::vector<std::string> argv = {exe.string(),       "-f", "--exit-with-parent", "-i",
                                   "127.0.0.1",        "-p", std::to_string(port), "-e",
                                   options.export_name};
  for (const auto& filter : options.nbdkit_filters) argv.push_back("--filter=" + filter);
  argv.push_back("file");
  argv.push_back("file=" + export_file.string());
  for (const auto& param : options.nbdkit_params) argv.push_back(param);
  return argv;
}

}  // namespace

NbdServer::NbdServer(NbdServerOptions options, fs::path exe, fs::path export_file,
                     std::vector<std::string> argv, fs::path log_path, int server_port,
                     std::string description, ChildProcess child, std::unique_ptr<TcpRelay> relay)
    : options_(std::move(options)),
      exe_(std::move(exe)),
      export_file_(std::move(export_file)),
      log_path_(std::move(log_path)),
      description_(std::move(description)),
      relay_(std::move(relay)),
      argv_(std::move(argv)),
      server_port_(server_port),
      child_(std::move(child)),
      spawned_at_(Clock::now()) {
  if (options_.flavour == kNbdServer) supervisor_ = std::thread([this] { supervise(); });
}

NbdServer::~NbdServer() { (void)stop(); }

namespace {

struct Spawned {
  std::vector<std::string> argv;
  int port = 0;
  ChildProcess child;
};

// Starts the server and waits until it listens: on preferred_port first (0: none), then on
// free ports, since another process can take a port before the server binds it.
Result<Spawned> spawn_listening(const fs::path& exe, const NbdServerOptions& options,
                                const fs::path& export_file, const fs::path& work_dir,
                                const fs::path& log, int preferred_port, milliseconds timeout) {
  const fs::path config = work_dir / "nbd-server.conf";
  Error last_error("no attempt made");
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    int port = preferred_port;
    if (attempt > 0 || port == 0) {
      auto picked = pick_free_loopback_port();
      if (!picked) return picked.error();
      port = *picked;
    }
    if (options.flavour == kNbdServer) {
      WEDGE_CHECK(write_file_atomic(config, nbd_server_config(port, options, export_file)));
    }
    std::vector<std::string> argv = server_argv(exe, options, port, export_file, config);
    SpawnOptions spawn;
    spawn.stdout_path = log;
    spawn.working_dir = work_dir;
    WEDGE_TRY(ChildProcess child, ChildProcess::spawn(argv, spawn));
    auto listening = wait_until_listening(port, child, log, timeout);
    if (!listening) {
      last_error = listening.error();
      bool exited = !child.running();
      child.stop(milliseconds(0));
      if (exited) continue;  // most likely lost the port to someone else: pick another
      break;
    }
    return Spawned{std::move(argv), port, std::move(child)};
  }
  return last_error;
}

}  // namespace

Result<std::unique_ptr<NbdServer>> NbdServer::start(const NbdServerOptions& options,
                                                    milliseconds timeout) {
  const std::string what = fmt::format("starting {}", options.flavour);
  if (auto valid = validate(options); !valid) return valid.error().context(what);
  const std::string binary = options.binary.empty() ? options.flavour : options.binary;
  auto exe = find_executable(binary);
  if (!exe) return exe.error().context(what);

  std::error_code ec;
  fs::create_directories(options.work_dir, ec);
  if (ec) return make_error("{}: creating {}: {}", what, options.work_dir.string(), ec.message());
  const fs::path work_dir = fs::absolute(options.work_dir);
  const fs::path export_file = fs::absolute(options.export_file);
  if (auto created = create_sparse_file(export_file, options.size_bytes); !created) {
    return created.error().context(what);
  }
  auto description = query_version(*exe, options.flavour);
  if (!description) return description.error().context(what);

  const fs::path log = work_dir / (options.flavour + ".log");
  auto spawned = spawn_listening(*exe, options, export_file, work_dir, log, 0, timeout);
  if (!spawned) return spawned.error().context(what);
  auto relay = TcpRelay::start(spawned->port);
  if (!relay) {
    spawned->child.stop(kStopGrace);
    return relay.error().context(what);
  }
  return std::unique_ptr<NbdServer>(
      new NbdServer(options, *exe, export_file, std::move(spawned->argv), log, spawned->port,
                    std::move(*description), std::move(spawned->child), std::move(*relay)));
}

void NbdServer::supervise() {
  std::unique_lock lock(mutex_);
  int quick_exits = 0;
  while (!wake_.wait_for(lock, kSupervisePoll, [this] { return stopping_; })) {
    if (!child_ || child_->running()) continue;
    std::optional<ExitStatus> status = child_->exit_status();
    // A session ends with an exit, or with SIGPIPE when the client vanished mid-reply.
    // Any other signal is a fault (SIGKILL) or a crash that must stay visible: no restart.
    if (!status || (status->signal != 0 && status->signal != SIGPIPE)) continue;
    if (Clock::now() - spawned_at_ < kQuickExit) {
      if (++quick_exits > kMaxQuickExits) continue;
    } else {
      quick_exits = 0;
    }
    SpawnOptions spawn;
    spawn.stdout_path = log_path_;
    spawn.working_dir = log_path_.parent_path();
    auto next = ChildProcess::spawn(argv_, spawn);
    if (!next) continue;  // healthy() reports the dead server
    child_ = std::move(*next);
    spawned_at_ = Clock::now();
    respawns_++;
  }
}

bool NbdServer::healthy() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || !child_ || !child_->running()) return false;
  }
  auto listening = loopback_port_listening(server_port());
  return listening.ok() && *listening;
}

ServerStats NbdServer::stats() const {
  RelayStats relay = relay_->stats();
  ServerStats s;
  s.bytes_from_guest = relay.bytes_from_client;
  s.bytes_to_guest = relay.bytes_to_client;
  s.connections = relay.connections;
  return s;
}

Status NbdServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return ok_status();
    stopping_ = true;
  }
  wake_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  relay_->stop();
  std::lock_guard lock(mutex_);
  if (child_) {
    // nbd-server -d only notices SIGTERM between sessions, so it gets SIGKILL at once; its
    // writes are already in the page cache. nbdkit gets SIGTERM (after a SIGCONT) first.
    child_->stop(options_.flavour == kNbdServer ? milliseconds(0) : kStopGrace);
    child_.reset();
  }
  stopped_ = true;
  return ok_status();
}

Status NbdServer::kill() {
  std::lock_guard lock(mutex_);
  if (stopped_ || stopping_) return make_error("{}: server is stopped", description_);
  if (!child_) return make_error("{}: server is not running (killed before?)", description_);
  child_->stop(milliseconds(0));  // SIGCONT + SIGKILL to the group, then reap
  child_.reset();
  return ok_status();
}

Status NbdServer::restart(milliseconds timeout) {
  const std::string what = fmt::format("restarting {}", description_);
  int old_port = 0;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || stopping_) return make_error("{}: server is stopped", what);
    if (child_) child_->stop(milliseconds(0));
    child_.reset();
    old_port = server_port_;
  }
  uint64_t number = restarts_.load() + 1;
  std::error_code ec;
  fs::rename(log_path_, fs::path(log_path_.string() + "." + std::to_string(number)), ec);
  // Someone else listening on the old port would pass for our server: then use another.
  auto taken = loopback_port_listening(old_port);
  int preferred = taken.ok() && !*taken ? old_port : 0;
  auto spawned = spawn_listening(exe_, options_, export_file_, log_path_.parent_path(), log_path_,
                                 preferred, timeout);
  if (!spawned) return spawned.error().context(what);
  std::lock_guard lock(mutex_);
  if (stopping_ || stopped_) {
    spawned->child.stop(milliseconds(0));
    return make_error("{}: server was stopped meanwhile", what);
  }
  if (spawned->port != old_port) relay_->set_target_port(spawned->port);
  argv_ = std::move(spawned->argv);
  server_port_ = spawned->port;
  child_ = std::move(spawned->child);
  spawned_at_ = Clock::now();
  restarts_++;
  return ok_status();
}

int NbdServer::server_port() const {
  std::lock_guard lock(mutex_);
  return server_port_;
}

Status NbdServer::signal(int sig) {
  std::lock_guard lock(mutex_);
  if (stopped_ || !child_) return make_error("{}: server is stopped", description_);
  return child_->signal_group(sig).context(description_);
}

pid_t NbdServer::pid() const {
  std::lock_guard lock(mutex_);
  return child_ ? child_->pid() : -1;
}

}  // namespace wedge::storage
