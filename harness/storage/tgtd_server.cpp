// Implementation of tgtd_server.h.
#include "harness/storage/tgtd_server.h"

#include "harness/storage/export_file.h"
#include "harness/storage/server_user.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTgtadmTimeout{5000};
// The target's only disk; LUN 0 is tgtd's own controller.
constexpr const char* kLun = "1";
// tgtd and tgtadm find the control socket's path (less ".<N>") here, instead of the
// compiled-in /var/run/tgtd/socket, which only root may create.
constexpr const char* kSocketEnv = "TGT_IPC_SOCKET";

// tgtadm next to a specific tgtd build, else the one on PATH.
Result<fs::path> find_tgtadm(const fs::path& tgtd) {
  fs::path beside = tgtd.parent_path() / "tgtadm";
  std::error_code ec;
  if (fs::is_regular_file(beside, ec)) return beside;
  return find_executable("tgtadm");
}

// tgtadm must run as tgtd's user (tgtd refuses other peers) and find its socket.
Status run_all(const std::vector<std::vector<std::string>>& argvs, const SpawnOptions& as) {
  for (const auto& argv : argvs) {
    auto ran = run_checked(argv, kTgtadmTimeout, as);
    if (!ran) return ran.error().context(fmt::format("{}", fmt::join(argv, " ")));
  }
  return ok_status();
}

}  // namespace

int tgtd_control_number(int port) { return 1 + port % 32767; }

std::vector<std::string> tgtd_argv(const std::string& tgtd, int port) {
  return {tgtd,      "-f",
          "-C",      std::to_string(tgtd_control_number(port)),
          "--iscsi", fmt::format("portal=127.0.0.1:{}", port)};
}

std::vector<std::vector<std::string>> tgtadm_setup_argvs(const std::string& tgtadm, int control,
                                                         const std::string& target,
                                                         const fs::path& export_file) {
  const std::string c = std::to_string(control);
  return {
      {tgtadm, "-C", c, "--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T",
       target},
      {tgtadm, "-C", c, "--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1",
       "--lun", kLun, "-b", export_file.string()},
      {tgtadm, "-C", c, "--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "-I",
       "ALL"},
  };
}

std::vector<std::vector<std::string>> tgtadm_teardown_argvs(const std::string& tgtadm,
                                                            int control) {
  const std::string c = std::to_string(control);
  return {
      {tgtadm, "-C", c, "--lld", "iscsi", "--op", "delete", "--force", "--mode", "target", "--tid",
       "1"},
      {tgtadm, "-C", c, "--op", "delete", "--mode", "system"},
  };
}

Result<std::unique_ptr<TgtdServer>> TgtdServer::start(const TgtdServerOptions& options,
                                                      milliseconds timeout) {
  const std::string what = "starting tgtd";
  if (options.export_file.empty() || options.work_dir.empty() || options.size_bytes == 0 ||
      options.target.empty()) {
    return make_error("{}: export_file, work_dir, size_bytes and target must be set", what);
  }
  auto exe = find_executable(options.binary.empty() ? "tgtd" : options.binary);
  if (!exe) return exe.error().context(what);
  auto tgtadm = find_tgtadm(*exe);
  if (!tgtadm) return tgtadm.error().context(what);
  auto paths = prepare_export(options.work_dir, options.export_file, options.size_bytes);
  if (!paths) return paths.error().context(what);
  const fs::path work_dir = paths->work_dir;
  const fs::path export_file = paths->export_file;
  auto version = run_checked({exe->string(), "-V"}, kTgtadmTimeout);
  if (!version) return version.error().context(what);
  std::string description = "tgtd " + version->out.substr(0, version->out.find('\n'));
  auto as = server_identity();
  if (!as) return as.error().context(what);
  // The control socket's folder: short (unix socket paths stop at 107 bytes) and the server
  // user's alone; it goes, with what tgtd leaves in it, when the server object does.
  auto control_dir = TempDir::create("wedge-tgtd");
  if (!control_dir) return control_dir.error().context(what);
  for (const auto& [path, mode] : {std::pair{export_file, 0600}, {control_dir->path(), 0700}}) {
    if (auto handed = hand_to_server(path, *as, static_cast<mode_t>(mode)); !handed) {
      return handed.error().context(what);
    }
  }
  SpawnOptions admin;
  admin.identity = *as;
  admin.env = {{kSocketEnv, (control_dir->path() / "socket").string()}};

  DaemonOptions daemon;
  daemon.name = "tgtd";
  daemon.log = work_dir / "tgtd.log";
  daemon.work_dir = work_dir;
  daemon.identity = admin.identity;
  daemon.env = admin.env;
  daemon.command = [exe = exe->string()](int port) -> Result<std::vector<std::string>> {
    return tgtd_argv(exe, port);
  };
  daemon.configure = [tgtadm = tgtadm->string(), target = options.target, export_file,
                      admin](int port) -> Status {
    return run_all(tgtadm_setup_argvs(tgtadm, tgtd_control_number(port), target, export_file),
                   admin)
        .context(fmt::format("creating target {} on port {}", target, port));
  };
  daemon.before_stop = [tgtadm = tgtadm->string(), admin](int port) {
    (void)run_all(tgtadm_teardown_argvs(tgtadm, tgtd_control_number(port)), admin);
  };
  auto parts = start_parts(std::move(daemon), timeout);
  if (!parts) return parts.error();
  TgtdServerOptions kept = options;
  kept.export_file = export_file;
  kept.work_dir = work_dir;
  return std::unique_ptr<TgtdServer>(new TgtdServer(std::move(*parts), std::move(description),
                                                    std::move(kept), std::move(*control_dir)));
}

TgtdServer::~TgtdServer() { (void)stop(); }

Status TgtdServer::stop() {
  Status stopped = RelayedDaemon::stop();
  control_dir_.reset();
  return stopped;
}

fs::path TgtdServer::control_socket() const {
  if (!control_dir_) return {};
  return control_dir_->path() / fmt::format("socket.{}", tgtd_control_number(server_port()));
}

}  // namespace wedge::storage
