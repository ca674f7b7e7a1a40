// Implementation of build_key.h.
#include "harness/kernel/build_key.h"

#include <fmt/format.h>

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/sha256.h"

namespace wedge::kernel {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
// Untracked files larger than this are keyed by name, size and mtime, not content.
constexpr uintmax_t kMaxHashedUntrackedBytes = 1 << 20;
constexpr auto kGitTimeout = 120s;

// Each field as "<name> <length>\n<bytes>\n", so that no two inputs hash the same.
void add_field(std::string& out, std::string_view name, std::string_view value) {
  out += fmt::format("{} {}\n", name, value.size());
  out += value;
  out += '\n';
}
}  // namespace

Result<TreeState> read_tree_state(const fs::path& tree) {
  TreeState state;
  std::string dir = tree.string();
  WEDGE_TRY(CommandOutput head,
            run_checked({"git", "-C", dir, "rev-parse", "HEAD"}, kGitTimeout)
                .context(fmt::format("{} is not a git tree with a commit", dir)));
  state.commit = head.out.substr(0, head.out.find('\n'));
  WEDGE_TRY(CommandOutput diff,
            run_checked({"git", "-C", dir, "diff", "HEAD", "--binary"}, kGitTimeout));
  state.diff = std::move(diff.out);
  WEDGE_TRY(CommandOutput others,
            run_checked({"git", "-C", dir, "ls-files", "--others", "--exclude-standard", "-z"},
                        kGitTimeout));
  std::string_view rest = others.out;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    std::string name(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    fs::path path = tree / name;
    std::error_code ec;
    uintmax_t size = fs::file_size(path, ec);
    if (ec) continue;  // gone since git listed it
    if (size <= kMaxHashedUntrackedBytes) {
      WEDGE_TRY(std::string content, read_file(path));
      state.untracked.emplace_back(name, std::move(content));
    } else {
      auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
      state.untracked.emplace_back(name, fmt::format("size {} mtime {}", size, mtime));
    }
  }
  return state;
}

Result<std::string> build_key(const BuildKeyInputs& in) {
  std::string text = "wedge-kernel-build 1\n";
  add_field(text, "commit", in.tree.commit);
  add_field(text, "diff", in.tree.diff);
  for (const auto& [name, content] : in.tree.untracked) {
    add_field(text, "untracked", name);
    add_field(text, "content", content);
  }
  add_field(text, "base", in.base);
  add_field(text, "config", in.config);
  add_field(text, "make", in.make);
  return sha256_hex(text);
}

}  // namespace wedge::kernel
