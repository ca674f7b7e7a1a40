// Tests for util/following_file.h on real files: appends, rotation (rename + new file, as
// virtlogd does at max_size) with and without unread bytes in the old file, truncation.
#include "harness/util/following_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "harness/util/files.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;

class FollowingFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("wedge-following-file-test");
    ASSERT_TRUE(d.ok());
    dir_ = std::make_unique<TempDir>(std::move(*d));
  }
  fs::path log() const { return dir_->path() / "console.log"; }
  void append(const std::string& text) { ASSERT_TRUE(append_file(log(), text).ok()); }
  std::string read(FollowingFile& f, size_t max = 1 << 20) {
    auto r = f.read(max);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : "<error>";
  }
  std::unique_ptr<TempDir> dir_;
};

TEST_F(FollowingFileTest, MissingFileReadsAsNothingYet) {
  FollowingFile f(log());
  EXPECT_EQ(read(f), "");
  append("boot\n");
  EXPECT_EQ(read(f), "boot\n");
}

TEST_F(FollowingFileTest, ReturnsOnlyWhatIsNew) {
  FollowingFile f(log());
  append("one\n");
  EXPECT_EQ(read(f), "one\n");
  EXPECT_EQ(read(f), "");
  append("two\n");
  EXPECT_EQ(read(f), "two\n");
}

TEST_F(FollowingFileTest, MaxBytesLeavesTheRestForNextTime) {
  FollowingFile f(log());
  append("0123456789");
  EXPECT_EQ(read(f, 4), "0123");
  EXPECT_EQ(read(f, 4), "4567");
  EXPECT_EQ(read(f, 4), "89");
}

TEST_F(FollowingFileTest, RotationDrainsTheOldFileThenFollowsTheNew) {
  FollowingFile f(log());
  append("old-1\n");
  EXPECT_EQ(read(f), "old-1\n");
  append("old-2\n");  // written before the rotation, not yet read
  fs::rename(log(), dir_->path() / "console.log.0");
  append("new-1\n");
  EXPECT_EQ(read(f), "old-2\nnew-1\n");
  EXPECT_EQ(f.rotations(), 1u);
  append("new-2\n");
  EXPECT_EQ(read(f), "new-2\n");
}

TEST_F(FollowingFileTest, TwoRotationsBetweenReadsLoseOnlyTheMiddleFile) {
  // virtlogd keeps one backup: a file rotated twice before we look is gone for everyone.
  FollowingFile f(log());
  append("a\n");
  EXPECT_EQ(read(f), "a\n");
  fs::rename(log(), dir_->path() / "console.log.0");
  append("b\n");
  fs::rename(log(), dir_->path() / "console.log.0");  // replaces the first backup
  append("c\n");
  EXPECT_EQ(read(f), "c\n");
  EXPECT_EQ(f.rotations(), 1u);
}

TEST_F(FollowingFileTest, TruncationStartsOver) {
  FollowingFile f(log());
  append("first run\n");
  EXPECT_EQ(read(f), "first run\n");
  fs::resize_file(log(), 0);  // same file, emptied (QEMU opening it without append)
  append("x\n");
  EXPECT_EQ(read(f), "x\n");
  EXPECT_EQ(f.rotations(), 0u);
}

}  // namespace
}  // namespace wedge
