// The cache key of a kernel build: the tree's commit, its uncommitted diff and untracked files,
// and what decides the config (base and fragments), hashed with SHA-256 (harness/util/sha256.h).
//
//   WEDGE_TRY(TreeState state, read_tree_state(tree));
//   WEDGE_TRY(std::string key, build_key({state, "defconfig", fragments_text, "CC=ccache gcc"}));
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/util/result.h"

namespace wedge::kernel {

// A git tree as it is now.
struct TreeState {
  std::string commit;  // git rev-parse HEAD
  std::string diff;    // git diff HEAD --binary ("" when clean)
  // Untracked files that git does not ignore: path and content (name, size and mtime for
  // files too large to read cheaply).
  std::vector<std::pair<std::string, std::string>> untracked;
  [[nodiscard]] bool dirty() const { return !diff.empty() || !untracked.empty(); }
};

// Reads tree's state with git. Fails when tree is not a git work tree.
[[nodiscard]] Result<TreeState> read_tree_state(const std::filesystem::path& tree);

struct BuildKeyInputs {
  TreeState tree;
  std::string base;    // "defconfig", or "file:" + the base file's text
  std::string config;  // the fragments merged, as .config text
  std::string make;    // what else is on make's command line ("CC=ccache gcc")
};

// The key: same inputs, same key; any change in any input, another.
[[nodiscard]] Result<std::string> build_key(const BuildKeyInputs& inputs);

}  // namespace wedge::kernel
