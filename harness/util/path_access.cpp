// Implementation of path_access.h.
#include "harness/util/path_access.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "harness/util/files.h"

namespace wedge {

namespace fs = std::filesystem;

Result<Account> find_account(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
    return make_error("user {} does not exist", name);
  }
  Account account{name, pw.pw_uid, pw.pw_gid, {}};
  int count = 64;
  account.groups.resize(static_cast<size_t>(count));
  if (::getgrouplist(name.c_str(), pw.pw_gid, account.groups.data(), &count) < 0) {
    account.groups.resize(static_cast<size_t>(count));
    (void)::getgrouplist(name.c_str(), pw.pw_gid, account.groups.data(), &count);
  }
  account.groups.resize(static_cast<size_t>(std::max(count, 0)));
  if (std::find(account.groups.begin(), account.groups.end(), pw.pw_gid) == account.groups.end()) {
    account.groups.push_back(pw.pw_gid);
  }
  return account;
}

std::optional<PathMode> lstat_mode(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return PathMode{st.st_mode, st.st_uid, st.st_gid};
}

std::optional<std::string> unreachable_reason(const fs::path& path, const Account& account,
                                              const StatFn& stat_of) {
  fs::path at = path.root_path();
  for (const fs::path& part : path.relative_path().parent_path()) {
    if (part.empty() || part == ".") continue;
    at /= part;
    std::optional<PathMode> m = stat_of(at);
    if (!m) return std::nullopt;     // not there yet: wedge creates it
    if (S_ISLNK(m->mode)) continue;  // the folder it names is checked where it is
    mode_t bit = S_IXOTH;
    if (m->uid == account.uid) {
      bit = S_IXUSR;
    } else if (std::find(account.groups.begin(), account.groups.end(), m->gid) !=
               account.groups.end()) {
      bit = S_IXGRP;
    }
    if (!(m->mode & bit)) {
      return fmt::format("{} is mode {:04o}, owned by uid {} gid {}", at.string(), m->mode & 07777,
                         m->uid, m->gid);
    }
  }
  return std::nullopt;
}

Status give_path(const fs::path& path, uid_t uid, gid_t gid, mode_t mode, std::string_view whom) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0)
    return errno_error(fmt::format("opening {} for {}", path.string(), whom), errno);
  if (::fchown(fd.get(), uid, gid) != 0 || ::fchmod(fd.get(), mode) != 0) {
    return errno_error(fmt::format("giving {} to {}", path.string(), whom), errno);
  }
  return ok_status();
}

}  // namespace wedge
