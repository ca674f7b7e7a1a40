// Implementation of stand_ins.h.
#include "vm-images/stand_ins.h"

#include <chrono>

#include "harness/util/process.h"
#include "vm-images/ldd.h"

namespace wedge::image {

namespace fs = std::filesystem;

fs::path default_stand_in_dir() { return next_to_this_program("stand-ins"); }

bool ldd_resolves_everything(std::string_view text) {
  // glibc's ldd -r: "undefined symbol: X, version V (lib)", "symbol X version V not defined in
  // file lib with link time reference", "version `V' not found (required by lib)",
  // "libfoo.so.1 => not found".
  for (std::string_view marker :
       {"undefined symbol", "not defined in file", "not found", "error while loading"}) {
    if (text.find(marker) != std::string_view::npos) return false;
  }
  return true;
}

Result<std::optional<std::vector<std::string>>> libraries_with_stand_ins(const fs::path& program,
                                                                         const fs::path& dir) {
  using namespace std::chrono_literals;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return std::optional<std::vector<std::string>>{};
  // env(1) sets the variable for ldd alone; argv, no shell.
  WEDGE_TRY(
      CommandOutput out,
      run_command({"env", "LD_LIBRARY_PATH=" + dir.string(), "ldd", "-r", program.string()}, 30s));
  if (!out.status.success() || !ldd_resolves_everything(out.out + out.err)) {
    return std::optional<std::vector<std::string>>{};
  }
  WEDGE_TRY(std::vector<std::string> libs, shared_libraries(program, {dir}));
  return std::optional<std::vector<std::string>>{std::move(libs)};
}

std::string guest_library_path(const std::string& host_library, const fs::path& dir) {
  fs::path lib(host_library);
  if (lib.parent_path().lexically_normal() != dir.lexically_normal()) return host_library;
  return (fs::path(kGuestLibraryDir) / lib.filename()).string();
}

}  // namespace wedge::image
