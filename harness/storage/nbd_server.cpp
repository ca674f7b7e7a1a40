// Implementation of nbd_server.h.
#include "harness/storage/nbd_server.h"

#include "harness/storage/export_file.h"
#include "harness/storage/server_user.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr const char* kNbdServer = "nbd-server";
constexpr const char* kNbdkit = "nbdkit";
constexpr milliseconds kVersionTimeout{5000};
constexpr milliseconds kStopGrace{2000};

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

Result<std::unique_ptr<NbdServer>> NbdServer::start(const NbdServerOptions& options,
                                                    milliseconds timeout) {
  const std::string what = fmt::format("starting {}", options.flavour);
  if (auto valid = validate(options); !valid) return valid.error().context(what);
  const std::string binary = options.binary.empty() ? options.flavour : options.binary;
  auto exe = find_executable(binary);
  if (!exe) return exe.error().context(what);

  auto paths = prepare_export(options.work_dir, options.export_file, options.size_bytes);
  if (!paths) return paths.error().context(what);
  const fs::path work_dir = paths->work_dir;
  const fs::path export_file = paths->export_file;
  auto description = query_version(*exe, options.flavour);
  if (!description) return description.error().context(what);
  auto as = server_identity();
  if (!as) return as.error().context(what);
  if (auto handed = hand_to_server(export_file, *as, 0600); !handed) {
    return handed.error().context(what);
  }
  if (const fs::path& socket = options.controls.pause_socket; !socket.empty()) {
    std::error_code ec;
    fs::create_directories(socket.parent_path(), ec);
    if (ec)
      return make_error("{}: creating {}: {}", what, socket.parent_path().string(), ec.message());
    if (auto handed = hand_to_server(socket.parent_path(), *as, 0700); !handed) {
      return handed.error().context(what);
    }
  }

  DaemonOptions daemon;
  daemon.name = options.flavour;
  daemon.identity = *as;
  daemon.log = work_dir / (options.flavour + ".log");
  daemon.work_dir = work_dir;
  const fs::path config = work_dir / "nbd-server.conf";
  daemon.command = [exe = *exe, options, export_file,
                    config](int port) -> Result<std::vector<std::string>> {
    if (options.flavour == kNbdServer) {
      WEDGE_CHECK(write_file_atomic(config, nbd_server_config(port, options, export_file)));
    }
    return server_argv(exe, options, port, export_file, config);
  };
  // nbd-server -d only notices SIGTERM between sessions, so it gets SIGKILL at once; its
  // writes are already in the page cache. nbdkit gets SIGTERM (after a SIGCONT) first.
  daemon.stop_grace = options.flavour == kNbdServer ? milliseconds(0) : kStopGrace;
  daemon.respawn_after_session = options.flavour == kNbdServer;
  WEDGE_TRY(Parts parts, start_parts(std::move(daemon), timeout));
  return std::unique_ptr<NbdServer>(
      new NbdServer(std::move(parts), std::move(*description), options));
}

}  // namespace wedge::storage
