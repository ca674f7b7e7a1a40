// Unit tests for vm-images/stand_ins: reading `ldd -r` output, where stand-ins go in the guest,
// and, with the stand-ins this build made and the host's own programs, which tools they serve.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/contents.h"
#include "vm-images/stand_ins.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;

std::string fixture(const char* name) {
  auto text = read_file(fs::path(WEDGE_TESTDATA_DIR) / "ldd" / name);
  EXPECT_TRUE(text.ok());
  return text.ok() ? *text : "";
}

const fs::path kStandIns = WEDGE_STAND_IN_DIR;

bool has(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

TEST(StandIns, LddReportThatResolvesEverythingIsAccepted) {
  EXPECT_TRUE(ldd_resolves_everything(fixture("iscsid-stand-ins-r.txt")));
}

TEST(StandIns, EachKindOfUnresolvedReferenceIsRefused) {
  std::string curl = fixture("curl-stand-ins-r.txt");
  EXPECT_FALSE(ldd_resolves_everything(curl));
  // Each line alone is enough.
  EXPECT_FALSE(ldd_resolves_everything(curl.substr(0, curl.find('\n'))));  // version not found
  EXPECT_FALSE(ldd_resolves_everything(
      "undefined symbol: UINT32_it, version OPENSSL_3.0.0\t(/lib/x86_64-linux-gnu/libssl.so.3)"));
  EXPECT_FALSE(ldd_resolves_everything(
      "symbol EVP_md5 version OPENSSL_3.0.0 not defined in file libcrypto.so.3 with link time "
      "reference\t(/usr/sbin/iscsid)"));
  EXPECT_FALSE(ldd_resolves_everything(fixture("missing-library.txt")));
}

TEST(StandIns, StandInGoesWhereTheRealLibraryWouldAndOthersKeepTheirPath) {
  EXPECT_EQ(guest_library_path("/opt/w/stand-ins/libcrypto.so.3", "/opt/w/stand-ins"),
            "/lib/x86_64-linux-gnu/libcrypto.so.3");
  EXPECT_EQ(guest_library_path("/lib/x86_64-linux-gnu/libc.so.6", "/opt/w/stand-ins"),
            "/lib/x86_64-linux-gnu/libc.so.6");
}

// Expects the stand-ins this build made to serve the host's program: each of stand_ins comes
// from them, and none of left_out (what only the real libraries pull in) is in its closure.
void expect_served(const std::string& program, const std::vector<std::string>& stand_ins,
                   const std::vector<std::string>& left_out) {
  auto host = find_executable(program);
  ASSERT_TRUE(host.ok()) << program << " is installed by ci/setup.sh";
  auto libs = libraries_with_stand_ins(*host, kStandIns);
  ASSERT_TRUE(libs.ok()) << libs.error().message();
  ASSERT_TRUE(libs->has_value()) << "the stand-ins no longer serve this " << program;
  for (const std::string& name : stand_ins) {
    EXPECT_TRUE(has(**libs, (kStandIns / name).string())) << name;
  }
  for (const std::string& lib : **libs) {
    for (const std::string& name : left_out) EXPECT_EQ(lib.find(name), std::string::npos) << lib;
  }
}

TEST(StandIns, ServeIscsidAndLeaveOutWhatTheRealLibrariesPullIn) {
  expect_served("iscsid", {"libcrypto.so.3", "libsystemd.so.0"}, {"libgcrypt", "liblz4"});
}

// nbd-server, the in-guest server of nbd-loopback.
TEST(StandIns, ServeNbdServerWithoutGnutlsAndItsLibraries) {
  expect_served("nbd-server", {"libgnutls.so.30"}, {"libp11-kit", "libunistring", "libnettle"});
}

// curl's libssl needs far more of libcrypto: it gets the real libraries.
TEST(StandIns, AProgramNeedingMoreThanTheStandInsGetsNone) {
  auto curl = find_executable("curl");
  ASSERT_TRUE(curl.ok()) << "curl is installed by ci/setup.sh";
  auto libs = libraries_with_stand_ins(*curl, kStandIns);
  ASSERT_TRUE(libs.ok()) << libs.error().message();
  EXPECT_FALSE(libs->has_value());
  auto none = libraries_with_stand_ins(*curl, "/nonexistent/stand-ins");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

fs::path source_of(const ImageTree& tree, const std::string& path) {
  for (const CpioEntry& e : tree.entries()) {
    if (e.path == path) return e.source;
  }
  return {};
}

// In one image a real library wins: curl's real libcrypto, added before or after iscsid, is
// the one the image holds, and iscsid is served by it.
TEST(StandIns, ARealLibraryInTheSameImageIsNeverReplacedByAStandIn) {
  auto iscsid = find_executable("iscsid");
  auto curl = find_executable("curl");
  ASSERT_TRUE(iscsid.ok() && curl.ok());
  const std::string crypto = "/lib/x86_64-linux-gnu/libcrypto.so.3";
  const fs::path stand_in = kStandIns / "libcrypto.so.3";

  ImageTree lean;
  auto alone = add_program_with_stand_ins(lean, *iscsid, "/usr/sbin/iscsid", kStandIns);
  ASSERT_TRUE(alone.ok()) << alone.error().message();
  EXPECT_TRUE(has(*alone, "libcrypto.so.3"));
  EXPECT_EQ(source_of(lean, crypto), stand_in);
  EXPECT_FALSE(lean.contains("/lib/x86_64-linux-gnu/libgcrypt.so.20"));

  ImageTree real_first;
  ASSERT_TRUE(add_program(real_first, *curl, "/usr/bin/curl").ok());
  ASSERT_TRUE(add_program_with_stand_ins(real_first, *iscsid, "/usr/sbin/iscsid", kStandIns).ok());
  EXPECT_NE(source_of(real_first, crypto), stand_in);
  EXPECT_FALSE(source_of(real_first, crypto).empty());

  ImageTree real_after;
  ASSERT_TRUE(add_program_with_stand_ins(real_after, *iscsid, "/usr/sbin/iscsid", kStandIns).ok());
  ASSERT_TRUE(add_program(real_after, *curl, "/usr/bin/curl").ok());
  EXPECT_NE(source_of(real_after, crypto), stand_in);
}

}  // namespace
}  // namespace wedge::image
