// Unit tests for vm-images/bzimage: the release in a synthetic x86 setup header.
#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "vm-images/bzimage.h"

namespace wedge::image {
namespace {

// The first bytes of a bzImage as far as the release goes: "HdrS" at 0x202, the version
// pointer (relative to 0x200) at 0x20E, the version string where it points.
std::string synthetic_header(const std::string& version, uint16_t pointer = 0x3ac0) {
  std::string bytes(0x200 + pointer + version.size() + 64, '\0');
  bytes.replace(0x202, 4, "HdrS");
  bytes[0x20E] = static_cast<char>(pointer & 0xff);
  bytes[0x20F] = static_cast<char>(pointer >> 8);
  bytes.replace(0x200 + pointer, version.size(), version);
  return bytes;
}

TEST(BzImage, ReleaseIsFirstWordOfVersion) {
  auto release = parse_bzimage_release(synthetic_header(
      "6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian"));
  ASSERT_TRUE(release.ok()) << release.error().message();
  EXPECT_EQ(*release, "6.1.0-56-cloud-amd64");
}

TEST(BzImage, ReadsFromFile) {
  auto dir = TempDir::create("wedge-bzimage-test");
  ASSERT_TRUE(dir.ok());
  auto path = dir->path() / "bzImage";
  ASSERT_TRUE(write_file_atomic(path, synthetic_header("6.9.0-rc1+ (me@host) #7", 0x100)).ok());
  auto release = read_bzimage_release(path);
  ASSERT_TRUE(release.ok()) << release.error().message();
  EXPECT_EQ(*release, "6.9.0-rc1+");
}

TEST(BzImage, RejectsOtherFiles) {
  std::string elf =
      "\x7f"
      "ELF" +
      std::string(0x300, '\0');
  auto release = parse_bzimage_release(elf);
  ASSERT_FALSE(release.ok());
  EXPECT_EQ(release.error().message(), "not a bzImage (no \"HdrS\" setup header at 0x202)");

  std::string no_version = synthetic_header("x");
  no_version[0x20E] = no_version[0x20F] = '\0';
  ASSERT_FALSE(parse_bzimage_release(no_version).ok());

  std::string truncated = synthetic_header("6.1.0").substr(0, 0x300);
  auto past = parse_bzimage_release(truncated);
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().message().find("past the data"), std::string::npos);

  auto missing = read_bzimage_release("/nonexistent/bzImage");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent/bzImage"), std::string::npos);
}

}  // namespace
}  // namespace wedge::image
