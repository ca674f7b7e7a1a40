// Reads the boot_s of every report.json the integration suite read (run_helpers.h writes them to
// WEDGE_BOOT_TIMES_FILE), prints their spread and holds each to 5 s, issue 17's goal: domain start
// to agent ready must wait neither on libvirt (60-113 s per boot while libvirt re-probed QEMU on
// every call) nor on the kernel's decompressor (Debian's generic kernel, XZ, took 5.2-5.8 s under
// TCG until guests booted its uncompressed vmlinux through the PVH entry: 2.2-2.6 s). The suite at
// -j2 had a median of 2.7 s; LoadedHostTest starves its guests on purpose and is left out.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr double kBootBoundS = 5.0;
// Tests that load the host on purpose (stress-ng, other guests): their boots measure the load.
constexpr std::string_view kLoadsTheHostOnPurpose = "LoadedHostTest.";

TEST(BootTimesTest, EveryBootInTheIntegrationSuiteTookAtMostFiveSeconds) {
  std::ifstream in(WEDGE_BOOT_TIMES_FILE);
  ASSERT_TRUE(in) << "no " << WEDGE_BOOT_TIMES_FILE << ": run the integration tests first";
  std::string line;
  int boots = 0;
  std::vector<double> boots_s;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string test, path;
    double boot_s = -1;
    fields >> test >> boot_s >> path;
    ASSERT_GE(boot_s, 0) << "unreadable line: " << line;
    if (test.starts_with(kLoadsTheHostOnPurpose)) continue;
    EXPECT_LE(boot_s, kBootBoundS) << test << " booted in " << boot_s << " s (" << path << ")";
    boots_s.push_back(boot_s);
    ++boots;
  }
  EXPECT_GT(boots, 20) << "too few reports recorded a boot to judge the suite";
  std::sort(boots_s.begin(), boots_s.end());
  if (!boots_s.empty()) {
    std::cout << "[boot times] " << boots << " boots: fastest " << boots_s.front() << " s, median "
              << boots_s[boots_s.size() / 2] << " s, slowest " << boots_s.back() << " s\n";
  }
}

}  // namespace
