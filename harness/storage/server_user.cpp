// Implementation of server_user.h.
#include "harness/storage/server_user.h"

#include <unistd.h>

#include "harness/util/files.h"
#include "harness/util/path_access.h"

namespace wedge::storage {

Result<std::optional<Identity>> server_identity(std::vector<int> capabilities) {
  if (::geteuid() != 0) return std::optional<Identity>();
  auto account = find_account(kServerUserName);
  if (!account) {
    return make_error(
        "user {} does not exist: wedge runs its storage servers as that unprivileged user "
        "(ci/setup.sh creates it)",
        kServerUserName);
  }
  return std::optional<Identity>(Identity{account->uid, account->gid, std::move(capabilities)});
}

Status hand_to_server(const std::filesystem::path& path, const std::optional<Identity>& as,
                      mode_t mode) {
  if (!as) return ok_status();
  return give_path(path, as->uid, as->gid, mode, kServerUserName);
}

}  // namespace wedge::storage
