// Unit tests for harness/kernel/build_key and the build's progress count: the same tree and
// config give the same key, a dirty tree (diff or untracked file) or another config another.
#include <gtest/gtest.h>

#include "harness/kernel/build_key.h"
#include "harness/kernel/kernel_build.h"
#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::kernel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string key_of(const BuildKeyInputs& inputs) {
  auto key = build_key(inputs);
  EXPECT_TRUE(key.ok()) << key.error().message();
  return key.ok() ? *key : "";
}

BuildKeyInputs clean_inputs() {
  return {{"0123456789abcdef", "", {}}, "defconfig\n", "CONFIG_SWAP=y\n", "CC=ccache gcc"};
}

TEST(BuildKey, SameInputsSameKeyAndEveryInputCounts) {
  std::string clean = key_of(clean_inputs());
  EXPECT_EQ(clean.size(), 64u);
  EXPECT_EQ(clean, key_of(clean_inputs()));
  BuildKeyInputs dirty = clean_inputs();
  dirty.tree.diff = "--- a/mm/vmscan.c\n+++ b/mm/vmscan.c\n";
  EXPECT_NE(key_of(dirty), clean);
  BuildKeyInputs untracked = clean_inputs();
  untracked.tree.untracked = {{"drivers/new.c", "int x;\n"}};
  EXPECT_NE(key_of(untracked), clean);
  BuildKeyInputs other_commit = clean_inputs();
  other_commit.tree.commit = "fedcba9876543210";
  EXPECT_NE(key_of(other_commit), clean);
  BuildKeyInputs other_config = clean_inputs();
  other_config.config = "CONFIG_SWAP=m\n";
  EXPECT_NE(key_of(other_config), clean);
  BuildKeyInputs other_base = clean_inputs();
  other_base.base = "tinyconfig\n";
  EXPECT_NE(key_of(other_base), clean);
  // Moving bytes from one field to the next is another key too.
  BuildKeyInputs shifted = clean_inputs();
  shifted.base = "defconfig\nCONFIG_SWAP=y\n";
  shifted.config = "";
  EXPECT_NE(key_of(shifted), clean);
}

void git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git",         "-C", dir.string(),    "-c",
                                   "user.name=t", "-c", "user.email=t@t"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = run_checked(argv, 30s);
  ASSERT_TRUE(out.ok()) << out.error().message();
}

TEST(BuildKey, DirtyGitTreeIsAnotherKey) {
  auto dir = TempDir::create("wedge-build-key-test");
  ASSERT_TRUE(dir.ok());
  fs::path tree = dir->path();
  git(tree, {"init", "-q"});
  ASSERT_TRUE(write_file_atomic(tree / "Makefile", "all:\n").ok());
  ASSERT_TRUE(write_file_atomic(tree / ".gitignore", "*.o\n").ok());
  git(tree, {"add", "-A"});
  git(tree, {"commit", "-q", "-m", "base"});

  auto key_now = [&tree]() {
    auto state = read_tree_state(tree);
    EXPECT_TRUE(state.ok()) << state.error().message();
    BuildKeyInputs inputs = clean_inputs();
    inputs.tree = state.ok() ? *state : TreeState{};
    return key_of(inputs);
  };
  std::string clean = key_now();
  EXPECT_EQ(clean, key_now());
  ASSERT_TRUE(write_file_atomic(tree / "ignored.o", "object").ok());
  EXPECT_EQ(key_now(), clean) << "an ignored file changed the key";
  ASSERT_TRUE(write_file_atomic(tree / "new.c", "int x;\n").ok());
  std::string with_untracked = key_now();
  EXPECT_NE(with_untracked, clean);
  fs::remove(tree / "new.c");
  ASSERT_TRUE(write_file_atomic(tree / "Makefile", "all:\n\ttrue\n").ok());
  std::string with_diff = key_now();
  EXPECT_NE(with_diff, clean);
  EXPECT_NE(with_diff, with_untracked);
  git(tree, {"checkout", "-q", "--", "Makefile"});
  EXPECT_EQ(key_now(), clean);
}

TEST(BuildKey, NotAGitTreeIsAnError) {
  auto dir = TempDir::create("wedge-build-key-test");
  ASSERT_TRUE(dir.ok());
  auto state = read_tree_state(dir->path());
  ASSERT_FALSE(state.ok());
  EXPECT_NE(state.error().message().find("is not a git tree"), std::string::npos);
}

TEST(BuildProgress, CountsCompiledObjectLines) {
  EXPECT_EQ(count_compiled_objects("  CC      mm/vmscan.o\n  LD      vmlinux.o\n"
                                   "  CC [M]  drivers/block/nbd.o\n  AR      lib/lib.a\n"
                                   "  CHK     include/generated/compile.h\n"
                                   "gcc: CC is not a line kbuild prints\n"),
            2);
}

}  // namespace
}  // namespace wedge::kernel
