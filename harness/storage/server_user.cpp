// Implementation of server_user.h.
#include "harness/storage/server_user.h"

#include <fcntl.h>
#include <sys/stat.h>
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
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) return errno_error(fmt::format("opening {}", path.string()), errno);
  if (::fchown(fd.get(), as->uid, as->gid) != 0 || ::fchmod(fd.get(), mode) != 0) {
    return errno_error(fmt::format("handing {} to {}", path.string(), kServerUserName), errno);
  }
  return ok_status();
}

}  // namespace wedge::storage
