// Unit tests for harness/kernel/kernel_build on a fake kernel tree whose Makefile stands in for
// kbuild (it writes bzImage, System.map and kernel.release into O= and counts its calls): a
// second build of the same tree is a cache hit that runs no make, a dirty tree builds again.
#include "harness/kernel/kernel_build.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "harness/util/files.h"
#include "harness/util/process.h"

namespace wedge::kernel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kFakeKbuild =
    "olddefconfig:\n"
    "\techo olddefconfig >> $(O)/make-calls\n"
    "all:\n"
    "\tmkdir -p $(O)/arch/x86/boot $(O)/include/config\n"
    "\techo kernel > $(O)/arch/x86/boot/bzImage\n"
    "\techo 'ffffffff81000000 T _stext' > $(O)/System.map\n"
    "\techo 6.1.0-fake > $(O)/include/config/kernel.release\n"
    "\techo '  CC      mm/vmscan.o'\n"
    "\techo all >> $(O)/make-calls\n"
    "modules_install:\n"
    "\tmkdir -p $(INSTALL_MOD_PATH)/lib/modules/6.1.0-fake\n";

void git(const fs::path& dir, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git",         "-C", dir.string(),    "-c",
                                   "user.name=t", "-c", "user.email=t@t"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out = run_checked(argv, 30s);
  ASSERT_TRUE(out.ok()) << out.error().message();
}

int count_lines(const fs::path& path) {
  auto text = read_file(path);
  if (!text) return 0;
  return static_cast<int>(std::count(text->begin(), text->end(), '\n'));
}

TEST(KernelBuild, SecondBuildIsACacheHitAndADirtyTreeBuildsAgain) {
  auto dir = TempDir::create("wedge-kernel-build-test");
  ASSERT_TRUE(dir.ok());
  fs::path tree = dir->path() / "linux";
  fs::create_directories(tree);
  ASSERT_TRUE(write_file_atomic(tree / "Makefile", kFakeKbuild).ok());
  ASSERT_TRUE(write_file_atomic(tree / "driver.c", "int x;\n").ok());
  git(tree, {"init", "-q"});
  git(tree, {"add", "-A"});
  git(tree, {"commit", "-q", "-m", "base"});
  fs::path base = dir->path() / "base.config";
  ASSERT_TRUE(write_file_atomic(base, "CONFIG_SWAP=y\n").ok());

  BuildRequest request;
  request.tree = tree;
  request.base = ConfigBase{BaseKind::kFile, "", base};
  request.jobs = 1;
  request.cache_dir = dir->path() / "cache";
  request.use_ccache = false;
  auto first = build_kernel(request);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->cache_hit);
  EXPECT_EQ(first->release, "6.1.0-fake");
  EXPECT_TRUE(is_complete_build(first->dir));
  EXPECT_TRUE(fs::is_regular_file(first->dir / "System.map"));
  EXPECT_TRUE(fs::is_directory(first->dir / "modules/lib/modules/6.1.0-fake"));
  auto object_dirs = fs::directory_iterator(request.cache_dir / "objects");
  fs::path calls = object_dirs->path() / "make-calls";
  EXPECT_EQ(count_lines(calls), 2);  // olddefconfig, all

  auto again = build_kernel(request);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again->cache_hit);
  EXPECT_EQ(again->dir, first->dir);
  EXPECT_EQ(count_lines(calls), 2) << "a cache hit ran make";

  ASSERT_TRUE(write_file_atomic(tree / "driver.c", "int y;\n").ok());
  auto dirty = build_kernel(request);
  ASSERT_TRUE(dirty.ok()) << dirty.error().message();
  EXPECT_FALSE(dirty->cache_hit);
  EXPECT_NE(dirty->dir, first->dir);
  EXPECT_EQ(count_lines(calls), 4);
}

TEST(KernelBuild, FailedMakeQuotesTheLogTail) {
  auto dir = TempDir::create("wedge-kernel-build-test");
  ASSERT_TRUE(dir.ok());
  fs::path tree = dir->path() / "linux";
  fs::create_directories(tree);
  ASSERT_TRUE(write_file_atomic(tree / "Makefile",
                                "olddefconfig:\n\ttrue\nall:\n\techo 'mm/vmscan.c:1: error: boom'"
                                "\n\tfalse\n")
                  .ok());
  git(tree, {"init", "-q"});
  git(tree, {"add", "-A"});
  git(tree, {"commit", "-q", "-m", "base"});
  fs::path base = dir->path() / "base.config";
  ASSERT_TRUE(write_file_atomic(base, "CONFIG_SWAP=y\n").ok());
  BuildRequest request;
  request.tree = tree;
  request.base = ConfigBase{BaseKind::kFile, "", base};
  request.cache_dir = dir->path() / "cache";
  request.use_ccache = false;
  auto build = build_kernel(request);
  ASSERT_FALSE(build.ok());
  EXPECT_NE(build.error().message().find("mm/vmscan.c:1: error: boom"), std::string::npos)
      << build.error().message();
  EXPECT_NE(build.error().message().find(".log"), std::string::npos);
}

}  // namespace
}  // namespace wedge::kernel
