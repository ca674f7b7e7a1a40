// Unit tests for vm-images/ldd: parsing recorded ldd output (dynamic, static, vdso forms,
// missing libraries).
#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "vm-images/ldd.h"

namespace wedge::image {
namespace {

std::string fixture(const char* name) {
  auto text = read_file(std::filesystem::path(WEDGE_TESTDATA_DIR) / "ldd" / name);
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

TEST(Ldd, DynamicProgramListsLibrariesAndLoaderWithoutVdso) {
  auto libs = parse_ldd_output(fixture("nbd-client.txt"));
  ASSERT_TRUE(libs.ok()) << libs.error().message();
  ASSERT_EQ(libs->size(), 13u);
  EXPECT_EQ(libs->front(), "/lib/x86_64-linux-gnu/libgnutls.so.30");
  EXPECT_EQ(std::count(libs->begin(), libs->end(), "/lib64/ld-linux-x86-64.so.2"), 1);
  EXPECT_EQ(std::count(libs->begin(), libs->end(), "/lib/x86_64-linux-gnu/libc.so.6"), 1);
  for (const auto& lib : *libs) EXPECT_EQ(lib.find("vdso"), std::string::npos) << lib;
}

TEST(Ldd, StaticProgramHasNoLibraries) {
  auto libs = parse_ldd_output(fixture("busybox-static.txt"));
  ASSERT_TRUE(libs.ok());
  EXPECT_TRUE(libs->empty());
  auto older = parse_ldd_output("\tstatically linked\n");
  ASSERT_TRUE(older.ok());
  EXPECT_TRUE(older->empty());
}

TEST(Ldd, OldVdsoFormatIsSkipped) {
  auto libs = parse_ldd_output(fixture("old-vdso-format.txt"));
  ASSERT_TRUE(libs.ok()) << libs.error().message();
  EXPECT_EQ(*libs, (std::vector<std::string>{"/lib/x86_64-linux-gnu/libc.so.6",
                                             "/lib64/ld-linux-x86-64.so.2"}));
}

TEST(Ldd, LoaderIsAddedWhenNotListed) {
  auto libs = parse_ldd_output("\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n");
  ASSERT_TRUE(libs.ok());
  EXPECT_EQ(libs->back(), "/lib64/ld-linux-x86-64.so.2");
}

TEST(Ldd, MissingLibraryIsNamed) {
  auto libs = parse_ldd_output(fixture("missing-library.txt"));
  ASSERT_FALSE(libs.ok());
  EXPECT_EQ(libs.error().message(), "shared library libfoo.so.1 not found");
}

}  // namespace
}  // namespace wedge::image
