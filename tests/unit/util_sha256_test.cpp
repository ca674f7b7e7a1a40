// Unit tests for harness/util/sha256: known digests (FIPS 180-2 examples) of bytes and of
// files, a file larger than one read chunk, and a missing file named in the error.
#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "harness/util/sha256.h"

namespace wedge {
namespace {

TEST(Sha256, KnownDigestsOfBytes) {
  auto abc = sha256_hex("abc");
  ASSERT_TRUE(abc.ok()) << abc.error().message();
  EXPECT_EQ(*abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto empty = sha256_hex("");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FileDigestEqualsDigestOfItsBytes) {
  auto dir = TempDir::create("wedge-sha256-test");
  ASSERT_TRUE(dir.ok());
  // One million 'a' (FIPS 180-2's third example): spans many 64 KiB reads.
  std::string million(1'000'000, 'a');
  auto path = dir->path() / "a";
  ASSERT_TRUE(write_file_atomic(path, million).ok());
  auto digest = sha256_file(path);
  ASSERT_TRUE(digest.ok()) << digest.error().message();
  EXPECT_EQ(*digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(*digest, *sha256_hex(million));
}

TEST(Sha256, MissingFileIsAnErrorNamingIt) {
  auto digest = sha256_file("/nonexistent/wedge-sha256");
  ASSERT_FALSE(digest.ok());
  EXPECT_NE(digest.error().message().find("/nonexistent/wedge-sha256"), std::string::npos)
      << digest.error().message();
}

}  // namespace
}  // namespace wedge
