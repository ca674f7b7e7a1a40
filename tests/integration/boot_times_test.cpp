// Reads the boot_s of every report.json the integration suite read (run_helpers.h writes them to
// WEDGE_BOOT_TIMES_FILE) and holds each to 5 s: domain start to agent ready must not wait on
// libvirt (issue 17: 60-113 s per boot while libvirt re-probed QEMU on every call).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

constexpr double kBootBoundS = 5.0;

TEST(BootTimesTest, EveryBootInTheIntegrationSuiteTookAtMost5s) {
  std::ifstream in(WEDGE_BOOT_TIMES_FILE);
  ASSERT_TRUE(in) << "no " << WEDGE_BOOT_TIMES_FILE << ": run the integration tests first";
  std::string line;
  int boots = 0;
  double slowest = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string test, path;
    double boot_s = -1;
    fields >> test >> boot_s >> path;
    ASSERT_GE(boot_s, 0) << "unreadable line: " << line;
    EXPECT_LE(boot_s, kBootBoundS) << test << " booted in " << boot_s << " s (" << path << ")";
    slowest = std::max(slowest, boot_s);
    ++boots;
  }
  EXPECT_GT(boots, 20) << "too few reports recorded a boot to judge the suite";
  std::cout << "[boot times] " << boots << " boots, slowest " << slowest << " s\n";
}

}  // namespace
