// Implementation of injectors.h: every injector is a start/stop pair of closures over its
// target, built by make_injector from the fault's kind and route.
#include "harness/faults/injectors.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "harness/util/files.h"

namespace wedge::faults {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

class NbdServerControl final : public ServerControl {
 public:
  NbdServerControl(storage::NbdServer& server, milliseconds restart_timeout)
      : server_(server), restart_timeout_(restart_timeout) {}
  Status signal(int sig) override { return server_.signal(sig); }
  Status kill() override { return server_.kill(); }
  Status restart() override { return server_.restart(restart_timeout_); }

 private:
  storage::NbdServer& server_;
  milliseconds restart_timeout_;
};

class FunctionInjector final : public Injector {
 public:
  FunctionInjector(std::string description, std::function<Status()> start,
                   std::function<Status()> stop)
      : description_(std::move(description)), start_(std::move(start)), stop_(std::move(stop)) {}
  Status start() override { return start_().context(description_); }
  Status stop() override { return stop_ ? stop_().context(description_) : ok_status(); }
  std::string describe() const override { return description_; }

 private:
  std::string description_;
  std::function<Status()> start_;
  std::function<Status()> stop_;  // empty: nothing to undo
};

// Changes one field of the relay's faults and leaves the others as they are.
Status edit_relay(storage::TcpRelay* relay,
                  const std::function<void(storage::RelayFaults&)>& edit) {
  storage::RelayFaults faults = relay->faults();
  edit(faults);
  relay->set_faults(faults);
  return ok_status();
}

Status remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errno_error(fmt::format("removing {}", path.string()), errno);
  }
  return ok_status();
}

uint64_t rate_bits_per_s(int kib_s) { return static_cast<uint64_t>(kib_s) * 1024 * 8; }

}  // namespace

std::unique_ptr<ServerControl> control_of(storage::NbdServer& server,
                                          milliseconds restart_timeout) {
  return std::make_unique<NbdServerControl>(server, restart_timeout);
}

NbdkitSetup nbdkit_filters_for(const std::vector<config::FaultConfig>& faults,
                               const fs::path& control_dir) {
  NbdkitSetup setup;
  bool pause = false;
  bool rate = false;
  std::optional<double> error_rate;
  for (const config::FaultConfig& f : faults) {
    if (f.kind == "server-stall" && f.via == "pause") pause = true;
    if (f.kind == "rate" && f.via == "nbdkit") rate = true;
    if (f.kind == "error" && !error_rate) error_rate = f.error_rate;
  }
  // Outermost first: a paused request waits before it is rate-limited or failed.
  if (pause) {
    setup.pause_socket = control_dir / "nbdkit-pause.sock";
    setup.filters.push_back("pause");
    setup.params.push_back("pause-control=" + setup.pause_socket.string());
  }
  if (rate) {
    // No rate= parameter: unlimited until the file says otherwise.
    setup.rate_file = control_dir / "nbdkit-rate";
    setup.filters.push_back("rate");
    setup.params.push_back("rate-file=" + setup.rate_file.string());
  }
  if (error_rate) {
    setup.error_file = control_dir / "nbdkit-error";
    setup.filters.push_back("error");
    setup.params.push_back(fmt::format("error-rate={}", *error_rate));
    setup.params.push_back("error-file=" + setup.error_file.string());
  }
  return setup;
}

Status nbdkit_pause_command(const fs::path& socket_path, char command, milliseconds timeout) {
  const std::string what =
      fmt::format("sending '{}' to nbdkit pause control {}", command, socket_path.string());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error(what + ": socket", errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket_path.string();
  if (path.size() >= sizeof addr.sun_path) return make_error("{}: path too long", what);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_error(what + ": connect", errno);
  }
  if (::send(fd.get(), &command, 1, MSG_NOSIGNAL) != 1) return errno_error(what + ": send", errno);
  pollfd pfd{fd.get(), POLLIN, 0};
  int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready < 0) return errno_error(what + ": poll", errno);
  if (ready == 0) return make_error("{}: no answer within {} ms", what, timeout.count());
  char answer = 0;
  ssize_t n = ::recv(fd.get(), &answer, 1, 0);
  if (n < 0) return errno_error(what + ": recv", errno);
  char expected = static_cast<char>(std::toupper(static_cast<unsigned char>(command)));
  if (n == 0 || answer != expected) {
    return make_error("{}: answer '{}', expected '{}'", what,
                      n == 0 ? "EOF" : std::string(1, answer), expected);
  }
  return ok_status();
}

Result<std::unique_ptr<Injector>> make_injector(const config::FaultConfig& fault,
                                                const InjectorTargets& t) {
  std::string description = fault.kind + (fault.via.empty() ? "" : " via " + fault.via);
  auto make = [&](std::function<Status()> start, std::function<Status()> stop = {}) {
    return Result<std::unique_ptr<Injector>>(
        std::make_unique<FunctionInjector>(description, std::move(start), std::move(stop)));
  };
  auto missing = [&](const char* what) {
    return make_error("{}: no {} to act on", description, what);
  };
  const std::string& k = fault.kind;
  const bool via_relay = (k == "server-stall" && fault.via == "relay") || k == "delay" ||
                         (k == "rate" && fault.via == "relay") || k == "blackhole" || k == "reset";

  if (via_relay) {
    storage::TcpRelay* relay = t.relay;
    if (!relay) return missing("relay");
    if (k == "reset") {
      return make([relay] {
        relay->reset_connections();
        return ok_status();
      });
    }
    std::function<void(storage::RelayFaults&, bool)> apply;
    if (k == "server-stall") {
      apply = [](storage::RelayFaults& f, bool on) { f.stall = on; };
    } else if (k == "delay") {
      milliseconds delay(fault.delay_ms);
      apply = [delay](storage::RelayFaults& f, bool on) { f.delay = on ? delay : milliseconds(0); };
    } else if (k == "rate") {
      uint64_t bytes = static_cast<uint64_t>(fault.rate_kib_s) * 1024;
      apply = [bytes](storage::RelayFaults& f, bool on) { f.rate_bytes_per_s = on ? bytes : 0; };
    } else {
      apply = [](storage::RelayFaults& f, bool on) { f.blackhole = on; };
    }
    return make([relay, apply] { return edit_relay(relay, [&](auto& f) { apply(f, true); }); },
                [relay, apply] { return edit_relay(relay, [&](auto& f) { apply(f, false); }); });
  }

  if (k == "server-stall" && fault.via == "pause") {
    if (t.nbdkit.pause_socket.empty()) return missing("nbdkit pause filter");
    fs::path socket = t.nbdkit.pause_socket;
    milliseconds timeout = t.pause_timeout;
    return make([socket, timeout] { return nbdkit_pause_command(socket, 'p', timeout); },
                [socket, timeout] { return nbdkit_pause_command(socket, 'r', timeout); });
  }
  if (k == "server-stall" || k == "server-crash" || k == "server-restart") {
    ServerControl* server = t.server;
    if (!server) return missing("server");
    if (k == "server-stall") {
      return make([server] { return server->signal(SIGSTOP); },
                  [server] { return server->signal(SIGCONT); });
    }
    if (k == "server-crash") return make([server] { return server->kill(); });
    return make([server] { return server->kill(); }, [server] { return server->restart(); });
  }
  if (k == "rate") {  // via nbdkit
    if (t.nbdkit.rate_file.empty()) return missing("nbdkit rate filter");
    fs::path file = t.nbdkit.rate_file;
    uint64_t bits = rate_bits_per_s(fault.rate_kib_s);
    // The filter rereads the file; "0" means unlimited.
    return make([file, bits] { return write_file_atomic(file, fmt::format("{}\n", bits)); },
                [file] { return write_file_atomic(file, "0\n"); });
  }
  if (k == "error") {
    if (t.nbdkit.error_file.empty()) return missing("nbdkit error filter");
    fs::path file = t.nbdkit.error_file;
    return make([file] { return write_file_atomic(file, ""); },
                [file] { return remove_file(file); });
  }
  if (k == "balloon") {
    if (!t.set_balloon_mib || t.guest_memory_mib <= 0) return missing("guest balloon");
    auto set = t.set_balloon_mib;
    int shrink = fault.balloon_mib;
    int restore = t.guest_memory_mib;
    return make([set, shrink] { return set(shrink); }, [set, restore] { return set(restore); });
  }
  if (k == "memory-max") {
    if (!t.set_memory_max) return missing("workload cgroup");
    auto set = t.set_memory_max;
    int limit = fault.memory_max_mib;
    return make([set, limit] { return set(limit); }, [set] { return set(std::nullopt); });
  }
  return make_error("unknown fault kind '{}'", k);
}

Result<std::vector<std::unique_ptr<Injector>>> make_injectors(
    const std::vector<config::FaultConfig>& faults, const InjectorTargets& targets) {
  std::vector<std::unique_ptr<Injector>> out;
  for (size_t i = 0; i < faults.size(); ++i) {
    auto injector = make_injector(faults[i], targets);
    if (!injector) return injector.error().context(fmt::format("fault {}", i));
    out.push_back(std::move(*injector));
  }
  return out;
}

}  // namespace wedge::faults
