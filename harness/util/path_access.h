// Whether an unprivileged user can reach a path: the accounts wedge hands work to (QEMU's
// libvirt-qemu, the storage servers' wedge-storage) need search permission on every folder
// above what they open, and a run dir under a 0700 home has none. Pure given a stat function,
// so the walk is unit-tested on fake trees.
//
//   WEDGE_TRY(Account qemu, find_account("libvirt-qemu"));
//   if (auto why = unreachable_reason(run_dir / "export.img", qemu, lstat_mode)) ...
//   // *why == "/root is mode 0700, owned by uid 0 gid 0"
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/util/result.h"

namespace wedge {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // its primary group and supplementary groups
};

// The account from the password and group databases; an error when it does not exist.
[[nodiscard]] Result<Account> find_account(const std::string& name);

// The owner and permission bits of a path (lstat), or nullopt when it does not exist.
struct PathMode {
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};
using StatFn = std::function<std::optional<PathMode>(const std::filesystem::path&)>;
[[nodiscard]] std::optional<PathMode> lstat_mode(const std::filesystem::path& path);

// Why account cannot search its way to path (through every existing folder above it, from
// /), e.g. "/root is mode 0700, owned by uid 0 gid 0"; nullopt when it can. The walk stops at
// the first folder that does not exist yet (wedge creates those, open to all). Only permission
// bits count (no ACLs; the accounts hold no capabilities).
[[nodiscard]] std::optional<std::string> unreachable_reason(const std::filesystem::path& path,
                                                            const Account& account,
                                                            const StatFn& stat_of);

// Gives an existing file or folder (never through a symlink) to uid:gid with mode; a uid or
// gid of -1 leaves that one as it is. `whom` names the receiver in errors ("the QEMU group").
[[nodiscard]] Status give_path(const std::filesystem::path& path, uid_t uid, gid_t gid, mode_t mode,
                               std::string_view whom);

}  // namespace wedge
