// Implementation of run_dir.h.
#include "harness/run/run_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "harness/storage/server_user.h"
#include "harness/util/path_access.h"
#include "harness/vm/qemu_user.h"

namespace wedge::run {

namespace fs = std::filesystem;

namespace {

// "console.log.0", "nbd-server.log.1": a rotated or kept-over log.
std::string without_number_suffix(const std::string& name) {
  size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot + 1 == name.size()) return name;
  bool digits = std::all_of(name.begin() + static_cast<long>(dot) + 1, name.end(),
                            [](unsigned char c) { return std::isdigit(c) != 0; });
  return digits ? name.substr(0, dot) : name;
}

Result<std::vector<fs::directory_entry>> entries_of(const fs::path& dir) {
  std::vector<fs::directory_entry> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    out.push_back(*it);
  }
  if (ec) return make_error("listing {}: {}", dir.string(), ec.message());
  return out;
}

}  // namespace

bool is_run_dir_entry(const std::string& name) {
  // Folders: traces, the NFS export and ganesha's recovery records, the 9p share, RAID1 legs.
  for (const char* dir : {"traces", "nfs-export", "nfs-recovery", "9p-share"}) {
    if (name == dir) return true;
  }
  if (name.starts_with("leg") && name.size() > 3 &&
      std::all_of(name.begin() + 3, name.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return true;
  }
  const std::string base = without_number_suffix(name);
  for (const char* suffix :
       {".log", ".jsonl", ".json", ".toml", ".conf", ".img", ".sock", ".cpio", ".html", ".pid"}) {
    if (base.ends_with(suffix)) return true;
  }
  return base.starts_with("nbdkit-");  // nbdkit's fault controls (rate, error, pause)
}

Status check_out_dir(const fs::path& dir, bool force) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok_status();
    return errno_error(fmt::format("--out {}", dir.string()), errno);
  }
  if (S_ISLNK(st.st_mode)) {
    return make_error("--out {} is a symlink: give the directory itself", dir.string());
  }
  if (!S_ISDIR(st.st_mode))
    return make_error("--out {} exists and is not a directory", dir.string());
  WEDGE_TRY(auto entries, entries_of(dir));
  if (entries.empty()) return ok_status();
  if (!force) {
    return make_error(
        "--out {} is not empty ({} entries, e.g. {}): give a new or empty directory, or --force "
        "to replace an earlier run's files there",
        dir.string(), entries.size(), entries.front().path().filename().string());
  }
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    if (!is_run_dir_entry(name)) {
      return make_error(
          "--out {} holds {}, which is not a file wedge writes: refusing to use it "
          "even with --force",
          dir.string(), name);
    }
  }
  return ok_status();
}

namespace {

// "libvirt-qemu cannot reach it: /root is mode 0700, ..." when a service user cannot reach dir.
std::optional<std::string> services_blocked(const fs::path& dir) {
  if (::geteuid() != 0) return std::nullopt;
  std::error_code ec;
  const fs::path inside = fs::absolute(dir, ec) / "x";
  if (ec) return ec.message();
  for (const char* name : {vm::kQemuUserName, storage::kServerUserName}) {
    auto account = find_account(name);
    if (!account) continue;  // the run says what is missing when it needs it
    if (auto why = unreachable_reason(inside, *account, lstat_mode)) {
      return fmt::format("{} cannot reach it: {}", name, *why);
    }
  }
  return std::nullopt;
}

}  // namespace

Status check_reachable_by_services(const fs::path& dir) {
  if (auto blocked = services_blocked(dir)) {
    return make_error(
        "{}: wedge runs QEMU and the storage servers as unprivileged users, and {}; give a "
        "folder every user can enter (e.g. under /var/tmp)",
        dir.string(), *blocked);
  }
  return ok_status();
}

DefaultRoot default_output_root(const std::string& name) {
  auto blocked = services_blocked(name);
  if (!blocked) return {fs::path(name), ""};
  fs::path elsewhere = fs::path("/var/tmp") / name;
  return {elsewhere,
          fmt::format("writing to {}, not ./{}: {}", elsewhere.string(), name, *blocked)};
}

Result<fs::path> make_run_dir(const fs::path& dir, bool force) {
  WEDGE_CHECK(check_out_dir(dir, force));
  WEDGE_CHECK(check_reachable_by_services(dir));
  std::error_code ec;
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  if (ec) return make_error("creating {}: {}", dir.parent_path().string(), ec.message());
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_error(fmt::format("creating run directory {}", dir.string()), errno);
  }
  WEDGE_CHECK(check_out_dir(dir, force));  // nothing swapped in between
  WEDGE_TRY(auto entries, entries_of(dir));
  for (const auto& entry : entries) {
    // remove_all unlinks a symlink itself and never descends through one.
    fs::remove_all(entry.path(), ec);
    if (ec) return make_error("--force: removing {}: {}", entry.path().string(), ec.message());
  }
  fs::path absolute = fs::absolute(dir, ec);
  if (ec) return make_error("{}: {}", dir.string(), ec.message());
  return absolute;
}

std::vector<std::string> files_in_run_dir(const fs::path& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
      files.push_back(fs::relative(it->path(), dir, ec).string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace wedge::run
