// The run directory: wedge writes only into a directory it created, or an existing empty one
// (--force also takes one holding an earlier run's files, which it removes first, unlinking
// symlinks, never following them), so nothing planted there is ever grown, exported or
// appended to. Also lists what a run left in it, for report.json.
//
//   WEDGE_CHECK(run::check_out_dir(args.out, args.force));           // usage error: exit 2
//   WEDGE_CHECK(run::check_reachable_by_services(args.out));          // usage error: exit 2
//   WEDGE_TRY(fs::path dir, run::make_run_dir(args.out, args.force));
//   report.files = run::files_in_run_dir(dir);                       // ["console.log", ...]
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/util/result.h"

namespace wedge::run {

// Whether dir may be used as a run directory: absent, or an empty directory (not a symlink);
// with force, also one whose entries are all files wedge writes (an earlier run's).
[[nodiscard]] Status check_out_dir(const std::filesystem::path& dir, bool force);

// Creates dir (and its parents), or takes the existing one check_out_dir allows, removing an
// earlier run's files when force. Returns its absolute path.
[[nodiscard]] Result<std::filesystem::path> make_run_dir(const std::filesystem::path& dir,
                                                         bool force);

// Whether the unprivileged users wedge hands work to (QEMU's libvirt-qemu, the storage
// servers' wedge-storage) can reach files in dir (which may not exist yet); only checked when
// wedge runs as root, for the users that exist. The error names the folder in the way.
[[nodiscard]] Status check_reachable_by_services(const std::filesystem::path& dir);

// Where output goes by default: ./name, or /var/tmp/name when the services cannot reach
// ./name (a working folder under a 0700 home); note says why, for the user.
struct DefaultRoot {
  std::filesystem::path path;
  std::string note;  // empty when ./name is used
};
[[nodiscard]] DefaultRoot default_output_root(const std::string& name);

// Whether name (a top-level entry of a run directory) is one wedge writes.
[[nodiscard]] bool is_run_dir_entry(const std::string& name);

// Regular files under dir, as sorted relative paths ("traces/0/summary.json").
[[nodiscard]] std::vector<std::string> files_in_run_dir(const std::filesystem::path& dir);

}  // namespace wedge::run
