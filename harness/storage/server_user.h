// The unprivileged user wedge's storage servers run as: nbd-server, nbdkit, tgtd (with its
// tgtadm) and ganesha.nfsd drop to it before exec, and the files each opens (export images,
// folders, logs) are handed to it. When wedge itself is not root there is nothing to drop.
//
//   WEDGE_TRY(std::optional<Identity> as, server_identity());
//   WEDGE_CHECK(hand_to_server(export_file, as, 0600));
//   daemon.identity = as;
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <vector>

#include "harness/util/process.h"
#include "harness/util/result.h"

namespace wedge::storage {

// ci/setup.sh creates it: a system user with no home, no shell and no other group.
inline constexpr const char* kServerUserName = "wedge-storage";

// The server user with the given capabilities kept (ganesha needs CAP_DAC_READ_SEARCH);
// nullopt when wedge is not root; an error naming ci/setup.sh when the user does not exist.
[[nodiscard]] Result<std::optional<Identity>> server_identity(std::vector<int> capabilities = {});

// Gives an existing file or folder (never through a symlink) to the server user with mode;
// does nothing for nullopt.
[[nodiscard]] Status hand_to_server(const std::filesystem::path& path,
                                    const std::optional<Identity>& as, mode_t mode);

}  // namespace wedge::storage
