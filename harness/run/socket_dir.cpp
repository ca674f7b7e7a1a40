// Implementation of socket_dir.h.
#include "harness/run/socket_dir.h"

#include <fmt/format.h>

namespace wedge::run {

namespace fs = std::filesystem;

Result<fs::path> agent_socket_path(const fs::path& run_dir, std::optional<TempDir>& link) {
  const fs::path direct = run_dir / "agent.sock";
  if (run_dir.string().size() + 1 + kLongestSocketName <= kMaxSocketPath) return direct;
  WEDGE_TRY(TempDir dir, TempDir::create("wedge-sock").context("a short path for the sockets"));
  std::error_code ec;
  // QEMU runs unprivileged: it must be able to pass through the link's folder.
  fs::permissions(dir.path(), fs::perms(0755), ec);
  if (ec) return make_error("chmod {}: {}", dir.path().string(), ec.message());
  fs::create_directory_symlink(fs::absolute(run_dir), dir.path() / "run", ec);
  if (ec)
    return make_error("linking {} to {}: {}", dir.path().string(), run_dir.string(), ec.message());
  const fs::path short_dir = dir.path() / "run";
  if (short_dir.string().size() + 1 + kLongestSocketName > kMaxSocketPath) {
    return make_error("the temp dir {} is too deep for unix sockets", dir.path().string());
  }
  link = std::move(dir);
  return short_dir / "agent.sock";
}

}  // namespace wedge::run
