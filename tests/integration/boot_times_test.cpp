// Reads the boot_s of every report.json the integration suite read (run_helpers.h writes them to
// WEDGE_BOOT_TIMES_FILE), prints their spread and holds each to 5 s, issue 17's goal: domain start
// to agent ready must wait neither on libvirt (60-113 s per boot while libvirt re-probed QEMU on
// every call) nor on the kernel's decompressor (Debian's generic kernel, XZ, took 5.2-5.8 s under
// TCG until guests booted its uncompressed vmlinux through the PVH entry: 2.2-2.6 s). The suite at
// -j2 had a median of 2.7 s. LoadedHostTest starves its guests of CPU on purpose, so its kernel
// boots slower (6.9 s once); its share on the host, libvirt starting the domain, is held to the
// same bound as every other test's.
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
// libvirt defining and starting the domain: about 0.3 s; 4.7 s and more per call where it
// re-probes QEMU's capabilities.
constexpr double kDomainStartBoundS = 2.0;
// Tests that load the host on purpose (stress-ng, other guests): their boots measure the load.
constexpr std::string_view kLoadsTheHostOnPurpose = "LoadedHostTest.";

struct BootRecord {
  std::string test;
  double boot_s = -1;
  double domain_start_s = -1;  // -1: the report has none
  std::string report;
};

std::vector<BootRecord> read_boot_records() {
  std::vector<BootRecord> records;
  std::ifstream in(WEDGE_BOOT_TIMES_FILE);
  EXPECT_TRUE(in) << "no " << WEDGE_BOOT_TIMES_FILE << ": run the integration tests first";
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    BootRecord r;
    fields >> r.test >> r.boot_s >> r.domain_start_s >> r.report;
    EXPECT_TRUE(fields && r.boot_s >= 0) << "unreadable line: " << line;
    if (fields && r.boot_s >= 0) records.push_back(r);
  }
  return records;
}

TEST(BootTimesTest, EveryBootInTheIntegrationSuiteTookAtMostFiveSeconds) {
  std::vector<double> boots_s;
  for (const BootRecord& r : read_boot_records()) {
    if (r.test.starts_with(kLoadsTheHostOnPurpose)) continue;
    EXPECT_LE(r.boot_s, kBootBoundS)
        << r.test << " booted in " << r.boot_s << " s (" << r.report << ")";
    boots_s.push_back(r.boot_s);
  }
  EXPECT_GT(boots_s.size(), 20u) << "too few reports recorded a boot to judge the suite";
  std::sort(boots_s.begin(), boots_s.end());
  if (!boots_s.empty()) {
    std::cout << "[boot times] " << boots_s.size() << " boots: fastest " << boots_s.front()
              << " s, median " << boots_s[boots_s.size() / 2] << " s, slowest " << boots_s.back()
              << " s\n";
  }
}

TEST(BootTimesTest, NoBootWaitedOnLibvirtNotEvenOnALoadedHost) {
  std::vector<double> starts_s;
  bool loaded_host_seen = false;
  for (const BootRecord& r : read_boot_records()) {
    if (r.domain_start_s < 0) continue;
    loaded_host_seen = loaded_host_seen || r.test.starts_with(kLoadsTheHostOnPurpose);
    EXPECT_LE(r.domain_start_s, kDomainStartBoundS)
        << r.test << ": libvirt took " << r.domain_start_s << " s to start the domain (" << r.report
        << ")";
    starts_s.push_back(r.domain_start_s);
  }
  EXPECT_GT(starts_s.size(), 20u) << "too few reports recorded a domain start";
  EXPECT_TRUE(loaded_host_seen) << "LoadedHostTest's report was not read";
  std::sort(starts_s.begin(), starts_s.end());
  if (!starts_s.empty()) {
    std::cout << "[boot times] libvirt's start of " << starts_s.size() << " domains: median "
              << starts_s[starts_s.size() / 2] << " s, slowest " << starts_s.back() << " s\n";
  }
}

}  // namespace
