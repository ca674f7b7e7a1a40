// Implementation of qemu_access.h: the user lookup, the pure reachability walk, and the file
// handling (no symlink followed in QEMU's folder or on the run's disks and folders).
#include "harness/vm/libvirt/qemu_access.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wedge::vm {

namespace fs = std::filesystem;

namespace {

// Hands an existing file or folder (not a symlink) to the QEMU group with the given mode.
Status give_to_group(const fs::path& path, gid_t gid, mode_t mode) {
  return give_path(path, static_cast<uid_t>(-1), gid, mode, "the QEMU group");
}

// A copy of from at to (created exclusively), readable by the group only.
Status copy_for_group(const fs::path& from, const fs::path& to, gid_t gid) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return errno_error(fmt::format("opening {}", from.string()), errno);
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (out.get() < 0) return errno_error(fmt::format("creating {}", to.string()), errno);
  for (;;) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, 1 << 24);
    if (n == 0) break;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return errno_error(fmt::format("copying {} to {}", from.string(), to.string()), errno);
  }
  if (::fchown(out.get(), static_cast<uid_t>(-1), gid) != 0 || ::fchmod(out.get(), 0640) != 0) {
    return errno_error(fmt::format("giving {} to the QEMU group", to.string()), errno);
  }
  return ok_status();
}

// A hard link when from is world-readable (the cache's files are), else a group copy.
Status stage(const fs::path& from, const fs::path& to, gid_t gid) {
  struct stat st {};
  if (::stat(from.c_str(), &st) != 0) return errno_error(fmt::format("{}", from.string()), errno);
  if (S_ISREG(st.st_mode) && (st.st_mode & S_IROTH) && ::link(from.c_str(), to.c_str()) == 0) {
    return ok_status();
  }
  return copy_for_group(from, to, gid);
}

}  // namespace

Result<QemuUser> find_qemu_user(const std::string& name) {
  auto user = find_account(name);
  if (!user) {
    return make_error(
        "user {} does not exist: wedge runs its guests' QEMU as that unprivileged user "
        "(ci/setup.sh creates it)",
        name);
  }
  return user;
}

void QemuFiles::drop_boot_files() {
  for (const fs::path& p : staged) {
    std::error_code ec;
    fs::remove(p, ec);
  }
  staged.clear();
}

Result<QemuFiles> give_to_qemu(const VmSpec& spec, const QemuUser& user) {
  auto reachable = [&user](const fs::path& path, std::string_view what) -> Status {
    if (auto why = unreachable_reason(fs::absolute(path), user, lstat_mode)) {
      return make_error(
          "QEMU runs as {} (uid {}), which cannot reach the {} {}: {}; choose a run directory "
          "(--out) every user can enter, e.g. under /var/tmp",
          user.name, user.uid, what, path.string(), *why);
    }
    return ok_status();
  };
  // 0700 until everything is staged, so nothing can be planted meanwhile.
  WEDGE_TRY(TempDir dir, TempDir::create("wedge-qemu"));
  QemuFiles files{std::move(dir), spec, {}};
  files.spec.run_as = VmSpec::RunAs{user.uid, user.gid};
  const fs::path& d = files.dir.path();
  if (!spec.kernel.empty()) {
    WEDGE_CHECK(stage(spec.kernel, d / "vmlinuz", user.gid));
    files.staged.push_back(d / "vmlinuz");
    files.spec.kernel = d / "vmlinuz";
  }
  if (!spec.initrd.empty()) {
    WEDGE_CHECK(stage(spec.initrd, d / "initrd", user.gid));
    files.staged.push_back(d / "initrd");
    files.spec.initrd = d / "initrd";
  }
  files.spec.agent_socket = d / "agent.sock";
  for (const fs::path& disk : spec.disks) {
    WEDGE_CHECK(reachable(disk, "disk"));
    WEDGE_CHECK(give_to_group(disk, user.gid, 0660));
  }
  for (const VmSpec::SharedFolder& folder : spec.shared_folders) {
    WEDGE_CHECK(give_to_group(folder.host_dir, user.gid, 0770));
    WEDGE_CHECK(reachable(folder.host_dir / ".", "shared folder"));
  }
  // QEMU creates its sockets here; the sticky bit keeps it from removing wedge's files.
  WEDGE_CHECK(give_to_group(d, user.gid, 01770));
  WEDGE_CHECK(reachable(d / ".", "socket folder"));
  return files;
}

}  // namespace wedge::vm
