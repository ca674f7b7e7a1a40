// Unit tests for harness/kernel/kernel_spec: a kernel spec resolved on fake build folders and
// trees (no kernel is built or booted).
#include "harness/kernel/kernel_spec.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"

namespace wedge::kernel {
namespace {

namespace fs = std::filesystem;

class KernelSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-kernel-spec-test");
    ASSERT_TRUE(dir.ok());
    dir_ = std::make_unique<TempDir>(std::move(*dir));
  }
  fs::path root() const { return dir_->path(); }
  void write(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    ASSERT_TRUE(write_file_atomic(path, text).ok());
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(KernelSpecTest, StockNamePassesThrough) {
  auto k = resolve_kernel_spec("default");
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->stock);
  EXPECT_EQ(k->kernel, "default");
}

TEST_F(KernelSpecTest, BuildFolderGivesWholeKernel) {
  fs::path b = root() / "builds/abc";
  write(b / "bzImage", "kernel");
  write(b / "System.map", "ffffffff81000000 T _stext\n");
  write(b / "kernel.release", "6.1.192+\n");
  write(b / "build.json", "{}\n");
  fs::create_directories(b / "modules/lib/modules/6.1.192+");
  auto k = resolve_kernel_spec(b.string());
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_FALSE(k->stock);
  EXPECT_EQ(k->kernel, (b / "bzImage").string());
  EXPECT_EQ(k->system_map, b / "System.map");
  EXPECT_EQ(k->modules_dir, b / "modules");
  EXPECT_EQ(k->release, "6.1.192+");
}

TEST_F(KernelSpecTest, UnfinishedBuildFolderIsAnError) {
  fs::path b = root() / "builds/half";
  write(b / "bzImage", "kernel");  // no build.json: the build did not finish
  auto k = resolve_kernel_spec(b.string());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message().find("wedge kernel build"), std::string::npos);
}

TEST_F(KernelSpecTest, TreeBuiltInPlaceWithEverythingBuiltIn) {
  fs::path t = root() / "linux";
  write(t / "arch/x86/boot/bzImage", "kernel");
  write(t / "System.map", "map");
  write(t / ".config", "CONFIG_MODULES=y\nCONFIG_BLK_DEV_NBD=y\n");
  write(t / "include/config/kernel.release", "6.1.192\n");
  auto k = resolve_kernel_spec(t.string());
  ASSERT_TRUE(k.ok()) << k.error().message();
  EXPECT_EQ(k->kernel, (t / "arch/x86/boot/bzImage").string());
  EXPECT_EQ(k->system_map, t / "System.map");
  EXPECT_TRUE(k->modules_dir.empty());
  EXPECT_EQ(k->release, "6.1.192");
}

TEST_F(KernelSpecTest, TreeWithUnstagedModulesSaysToUseKernelBuild) {
  fs::path t = root() / "linux";
  write(t / "arch/x86/boot/bzImage", "kernel");
  write(t / ".config", "CONFIG_MODULES=y\nCONFIG_BLK_DEV_NBD=m\n");
  auto k = resolve_kernel_spec(t.string());
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.error().message().find("wedge kernel build"), std::string::npos);
  // With the user's staged modules it resolves.
  fs::create_directories(root() / "staged/lib/modules/6.1.192");
  auto staged = resolve_kernel_spec(t.string(), root() / "staged");
  ASSERT_TRUE(staged.ok()) << staged.error().message();
  EXPECT_EQ(staged->modules_dir, root() / "staged");
}

TEST_F(KernelSpecTest, BzImageFileFindsSystemMapNextToIt) {
  write(root() / "k/bzImage", "kernel");
  write(root() / "k/System.map", "map");
  auto k = resolve_kernel_spec((root() / "k/bzImage").string());
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->system_map, root() / "k/System.map");
}

TEST_F(KernelSpecTest, OtherDirectoryOrMissingPathIsAnError) {
  fs::create_directories(root() / "empty");
  EXPECT_FALSE(resolve_kernel_spec((root() / "empty").string()).ok());
  auto missing = resolve_kernel_spec((root() / "nope").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("is not a file or folder here"), std::string::npos)
      << missing.error().message();
}

}  // namespace
}  // namespace wedge::kernel
