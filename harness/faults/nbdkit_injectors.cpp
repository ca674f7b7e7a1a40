// Faults through nbdkit's filters, controlled at run time: server-stall via pause (the pause
// filter's control socket), rate via nbdkit (rate-file), error (error-file toggles EIO).
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "harness/faults/injector_family.h"
#include "harness/util/files.h"

namespace wedge::faults {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

Status remove_file(const fs::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return errno_error(fmt::format("removing {}", path.string()), errno);
  }
  return ok_status();
}

uint64_t rate_bits_per_s(int kib_s) { return static_cast<uint64_t>(kib_s) * 1024 * 8; }

}  // namespace

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

InjectorResult make_stall_by_pause(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  const storage::NbdkitControls* controls = server ? server->nbdkit_controls() : nullptr;
  if (!controls || controls->pause_socket.empty()) {
    return missing_target(description, "nbdkit pause filter");
  }
  fs::path socket = controls->pause_socket;
  milliseconds timeout = targets.pause_timeout;
  return make_function_injector(
      description, [socket, timeout] { return nbdkit_pause_command(socket, 'p', timeout); },
      [socket, timeout] { return nbdkit_pause_command(socket, 'r', timeout); });
}

InjectorResult make_rate_by_nbdkit(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  const storage::NbdkitControls* controls = server ? server->nbdkit_controls() : nullptr;
  if (!controls || controls->rate_file.empty()) {
    return missing_target(description, "nbdkit rate filter");
  }
  fs::path file = controls->rate_file;
  uint64_t bits = rate_bits_per_s(fault.int_param("rate_kib_s"));
  // The filter rereads the file; "0" means unlimited.
  return make_function_injector(
      description, [file, bits] { return write_file_atomic(file, fmt::format("{}\n", bits)); },
      [file] { return write_file_atomic(file, "0\n"); });
}

InjectorResult make_error_injector(const config::FaultConfig& fault,
                                   const InjectorTargets& targets) {
  const std::string description = describe_fault(fault);
  storage::Server* server = server_for(fault, targets);
  const storage::NbdkitControls* controls = server ? server->nbdkit_controls() : nullptr;
  if (!controls || controls->error_file.empty()) {
    return missing_target(description, "nbdkit error filter");
  }
  fs::path file = controls->error_file;
  return make_function_injector(
      description, [file] { return write_file_atomic(file, ""); },
      [file] { return remove_file(file); });
}

}  // namespace wedge::faults
