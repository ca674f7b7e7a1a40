// Implementation of ganesha_server.h.
#include "harness/storage/ganesha_server.h"

#include <linux/capability.h>

#include "harness/storage/server_user.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::storage {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr const char* kGanesha = "ganesha.nfsd";
constexpr const char* kConfigName = "ganesha.conf";
constexpr const char* kRecoveryDirName = "nfs-recovery";
constexpr const char* kPidName = "ganesha.pid";
constexpr milliseconds kVersionTimeout{5000};
constexpr milliseconds kStopGrace{3000};

// ganesha's config language has quoted strings without escapes: refuse what would end one.
Result<std::string> quoted(std::string_view what, std::string_view value) {
  for (char c : value) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return make_error("{} '{}' holds a character ganesha.conf cannot quote", what, value);
    }
  }
  return fmt::format("\"{}\"", value);
}

}  // namespace

Result<std::string> ganesha_config(const GaneshaOptions& options, int port) {
  if (options.export_dir.empty()) return make_error("export_dir is not set");
  if (options.work_dir.empty()) return make_error("work_dir is not set");
  if (options.pseudo_path.empty() || options.pseudo_path.front() != '/') {
    return make_error("pseudo path '{}' must start with '/'", options.pseudo_path);
  }
  WEDGE_TRY(std::string export_path, quoted("export dir", options.export_dir.string()));
  WEDGE_TRY(std::string pseudo, quoted("pseudo path", options.pseudo_path));
  WEDGE_TRY(std::string recovery,
            quoted("recovery dir", (options.work_dir / kRecoveryDirName).string()));
  return fmt::format(
      "# nfs-ganesha configuration written by wedge: NFSv4.1 over TCP on 127.0.0.1 only,\n"
      "# one VFS export, recovery records in the run dir.\n"
      "NFS_CORE_PARAM {{\n"
      "  Protocols = 4;\n"
      "  NFS_Port = {};\n"
      "  Bind_Addr = 127.0.0.1;\n"
      "  Enable_NLM = false;\n"
      "  Enable_RQUOTA = false;\n"
      "  Enable_UDP = false;\n"
      "}}\n"
      "NFS_KRB5 {{\n"
      "  Active_krb5 = false;\n"
      "}}\n"
      "NFSV4 {{\n"
      "  Minor_Versions = 1;\n"
      "  Graceless = false;\n"
      "  Lease_Lifetime = {};\n"
      "  Grace_Period = {};\n"
      "  RecoveryBackend = fs;\n"
      "  RecoveryRoot = {};\n"
      "}}\n"
      "EXPORT {{\n"
      "  Export_Id = 1;\n"
      "  Path = {};\n"
      "  Pseudo = {};\n"
      "  Access_Type = RW;\n"
      "{}"
      "  SecType = sys;\n"
      "  Protocols = 4;\n"
      "  Transports = TCP;\n"
      "  FSAL {{\n"
      "    Name = VFS;\n"
      "  }}\n"
      "}}\n",
      port, options.lease_s, options.grace_s, recovery, export_path, pseudo,
      options.squash_to ? fmt::format("  Squash = All_Squash;\n  Anonymous_Uid = {};\n"
                                      "  Anonymous_Gid = {};\n",
                                      options.squash_to->first, options.squash_to->second)
                        : std::string("  Squash = No_Root_Squash;\n"));
}

std::vector<std::string> ganesha_argv(const fs::path& exe, const fs::path& work_dir) {
  return {exe.string(), "-F",       "-f", (work_dir / kConfigName).string(),
          "-L",         "STDERR",   "-p", (work_dir / kPidName).string(),
          "-N",         "NIV_EVENT"};
}

Result<std::string> ganesha_version(std::string_view text) {
  constexpr std::string_view kMarker = "Release = V";
  size_t at = text.find(kMarker);
  if (at == std::string_view::npos) {
    return make_error("unexpected ganesha.nfsd -v output '{}'", text.substr(0, text.find('\n')));
  }
  std::string_view version = text.substr(at + kMarker.size());
  version = version.substr(0, version.find_first_of(" \n"));
  return fmt::format("nfs-ganesha {}", version);
}

Result<std::unique_ptr<GaneshaServer>> GaneshaServer::start(const GaneshaOptions& options,
                                                            milliseconds timeout) {
  const std::string what = "starting nfs-ganesha";
  WEDGE_TRY(fs::path exe,
            find_executable(options.binary.empty() ? kGanesha : options.binary).context(what));
  GaneshaOptions o = options;
  std::error_code ec;
  for (const fs::path& dir : {o.work_dir, o.export_dir}) {
    fs::create_directories(dir, ec);
    if (ec) return make_error("{}: creating {}: {}", what, dir.string(), ec.message());
  }
  o.work_dir = fs::absolute(o.work_dir);
  o.export_dir = fs::absolute(o.export_dir);
  fs::create_directories(o.work_dir / kRecoveryDirName, ec);
  if (ec) return make_error("{}: creating the recovery dir: {}", what, ec.message());
  WEDGE_TRY(CommandOutput version,
            run_checked({exe.string(), "-v"}, kVersionTimeout).context(what));
  WEDGE_TRY(std::string description,
            ganesha_version(version.out.empty() ? version.err : version.out).context(what));
  // Unprivileged, keeping only what it cannot do without: CAP_DAC_READ_SEARCH for its VFS
  // backend's open_by_handle_at, CAP_SETUID and CAP_SETGID for the credentials it sets on
  // every request (squashed to its own user, it still calls setgroups). It owns the export
  // and what wedge put there, its recovery folder and its pid file.
  WEDGE_TRY(std::optional<Identity> as,
            server_identity({CAP_DAC_READ_SEARCH, CAP_SETUID, CAP_SETGID}).context(what));
  if (as) {
    o.squash_to = std::pair{as->uid, as->gid};
    WEDGE_CHECK(create_file_exclusive(o.work_dir / kPidName, "").context(what));
    std::vector<std::pair<fs::path, mode_t>> handed = {
        {o.work_dir / kRecoveryDirName, 0700}, {o.work_dir / kPidName, 0644}, {o.export_dir, 0700}};
    for (fs::directory_iterator it(o.export_dir, ec), end; !ec && it != end; it.increment(ec)) {
      handed.emplace_back(it->path(), 0600);
    }
    if (ec) return make_error("{}: listing {}: {}", what, o.export_dir.string(), ec.message());
    for (const auto& [path, mode] : handed) {
      WEDGE_CHECK(hand_to_server(path, as, mode).context(what));
    }
  }

  DaemonOptions daemon;
  daemon.name = "nfs-ganesha";
  daemon.identity = as;
  daemon.log = o.work_dir / "ganesha.log";
  daemon.work_dir = o.work_dir;
  daemon.command = [exe, o](int port) -> Result<std::vector<std::string>> {
    WEDGE_TRY(std::string config, ganesha_config(o, port));
    WEDGE_CHECK(write_file_atomic(o.work_dir / kConfigName, config));
    return ganesha_argv(exe, o.work_dir);
  };
  // SIGTERM lets ganesha unregister and flush; it is done well within the grace.
  daemon.stop_grace = kStopGrace;
  WEDGE_TRY(Parts parts, start_parts(std::move(daemon), timeout));
  return std::unique_ptr<GaneshaServer>(
      new GaneshaServer(std::move(parts), std::move(description), std::move(o)));
}

}  // namespace wedge::storage
