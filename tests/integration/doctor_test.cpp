// End-to-end test of `wedge doctor` on the test host, as a user runs it before a first run:
// every prerequisite present (the suite's own host is set up by ci/setup.sh), libvirt keeping
// QEMU's capabilities cached (a re-probing daemon makes each guest start wait seconds), and a
// KVM probe boot that answers.
#include <gtest/gtest.h>

#include "tests/integration/run_helpers.h"

namespace wedge {
namespace {

using namespace std::chrono_literals;
using test::run_wedge;

// The doctor's line for a check: "ok    NAME ..." or "FAIL  NAME ...", or "" if absent.
std::string check_line(const std::string& out, const std::string& name) {
  for (const std::string prefix : {"ok    ", "FAIL  "}) {
    auto at = out.find(prefix + name + " ");
    if (at != std::string::npos) return out.substr(at, out.find('\n', at) - at);
  }
  return "";
}

TEST(DoctorTest, FindsEveryPrerequisiteAndACachedLibvirtOnTheTestHost) {
  auto r = run_wedge({"doctor", "--cache", WEDGE_TEST_CACHE_DIR}, 300s);
  std::cout << r.out;
  EXPECT_TRUE(r.status.success()) << r.status.describe() << "\n" << r.out << r.err;
  EXPECT_NE(r.out.find("all prerequisites present"), std::string::npos) << r.out;
  EXPECT_EQ(check_line(r.out, "qemu caps"),
            "ok    qemu caps      libvirt keeps QEMU's capabilities cached")
      << r.out;
  EXPECT_EQ(check_line(r.out, "accel").rfind("ok    accel", 0), 0u) << r.out;
  EXPECT_EQ(check_line(r.out, "libvirt").rfind("ok    libvirt        qemu:///system", 0), 0u)
      << r.out;
}

}  // namespace
}  // namespace wedge
