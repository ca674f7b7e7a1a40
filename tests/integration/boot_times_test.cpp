// Reads the boot_s of every report.json the integration suite read (run_helpers.h writes them to
// WEDGE_BOOT_TIMES_FILE), prints their spread and holds each to 5 s, issue 17's goal: domain start
// to agent ready must wait neither on libvirt (60-113 s per boot while libvirt re-probed QEMU on
// every call) nor on the kernel's decompressor (Debian's generic kernel, XZ, took 5.2-5.8 s under
// TCG until guests booted its uncompressed vmlinux through the PVH entry: 2.2-2.6 s). The suite at
// -j2 had a median of 2.7 s.
//
// What is held to the bound is the boot less the time the host's scheduler kept it waiting for a
// CPU (timings.boot_cpu_wait_s: libvirt's and QEMU's run delay, from the kernel's schedstat). Two
// TCG guests on two cores make a boot wait: a CI run here had a boot of 6.03 s whose domain start
// alone took 3.43 s beside another test's guest. A host-side wait of wedge's or libvirt's own
// (a re-probe, a lock, a decompressor) is not a CPU wait and still counts in full. LoadedHostTest,
// which starves its guests on purpose, is held to the same rule.
//
// libvirt's start of the domain is judged on its own: less its CPU wait, a median of at most 1 s,
// at most one start in ten over 2 s, none over 4.7 s (the least a re-probe costs per call). Two CI
// runs here each had one start of about 3 s that no CPU wait explains (3.43 s; 3.15 s of which
// 0.36 s waiting), beside another test's guest; neither came back alone or beside the same test
// (three tries each, 0.34-0.62 s). A boot whose start was such an outlier is held to 5 s with the
// suite's median start in place of its own, so its kernel's part is still judged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace {

constexpr double kBootBoundS = 5.0;
// libvirt defining and starting the domain: about 0.3 s; 4.7 s and more per call where it
// re-probes QEMU's capabilities.
constexpr double kDomainStartBoundS = 2.0;
constexpr double kDomainStartMedianBoundS = 1.0;
constexpr double kReprobeLeastS = 4.7;
constexpr size_t kStartOutliersPerStarts = 10;  // at most one start in ten over the bound
// Tests that load the host on purpose (stress-ng, other guests).
constexpr std::string_view kLoadsTheHostOnPurpose = "LoadedHostTest.";

struct BootRecord {
  std::string test;
  double boot_s = -1;
  double domain_start_s = -1;   // -1: the report has none
  double boot_cpu_wait_s = -1;  // -1: unknown (no schedstat), nothing is taken off
  double domain_start_cpu_wait_s = -1;
  std::string report;

  [[nodiscard]] double boot_less_cpu_wait_s() const {
    return boot_s - std::max(0.0, boot_cpu_wait_s);
  }
  [[nodiscard]] double domain_start_less_cpu_wait_s() const {
    return domain_start_s - std::max(0.0, domain_start_cpu_wait_s);
  }
};

double median(std::vector<double> values) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// One record per report (a test may read its report more than once). $WEDGE_BOOT_TIMES_FILE
// names another suite's file (a CI run's, to judge it again).
std::vector<BootRecord> read_boot_records() {
  const char* override_path = std::getenv("WEDGE_BOOT_TIMES_FILE");
  const std::string path = override_path != nullptr ? override_path : WEDGE_BOOT_TIMES_FILE;
  std::vector<BootRecord> records;
  std::unordered_set<std::string> reports;
  std::ifstream in(path);
  EXPECT_TRUE(in) << "no " << path << ": run the integration tests first";
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    BootRecord r;
    fields >> r.test >> r.boot_s >> r.domain_start_s >> r.boot_cpu_wait_s >>
        r.domain_start_cpu_wait_s >> r.report;
    EXPECT_TRUE(fields && r.boot_s >= 0) << "unreadable line: " << line;
    if (fields && r.boot_s >= 0 && reports.insert(r.report).second) records.push_back(r);
  }
  return records;
}

// The suite's median domain start less its CPU wait (0 when no report has one).
double median_start_less_cpu_wait_s(const std::vector<BootRecord>& records) {
  std::vector<double> starts_s;
  for (const BootRecord& r : records) {
    if (r.domain_start_s >= 0) starts_s.push_back(r.domain_start_less_cpu_wait_s());
  }
  return std::max(0.0, median(starts_s));
}

// The boot less its CPU wait, with the suite's median start in place of a start over its bound
// (that start is NoBootWaitedOnLibvirt's to judge).
double boot_held_s(const BootRecord& r, double median_start_s) {
  if (r.domain_start_s < 0 || r.domain_start_less_cpu_wait_s() <= kDomainStartBoundS) {
    return r.boot_less_cpu_wait_s();
  }
  return r.boot_less_cpu_wait_s() - r.domain_start_less_cpu_wait_s() + median_start_s;
}

TEST(BootTimesTest, EveryBootInTheIntegrationSuiteTookAtMostFiveSeconds) {
  std::vector<double> boots_s;
  std::vector<double> waits_s;
  std::vector<double> held_s;
  bool loaded_host_seen = false;
  const std::vector<BootRecord> records = read_boot_records();
  const double median_start_s = median_start_less_cpu_wait_s(records);
  for (const BootRecord& r : records) {
    loaded_host_seen = loaded_host_seen || r.test.starts_with(kLoadsTheHostOnPurpose);
    const double held = boot_held_s(r, median_start_s);
    EXPECT_LE(held, kBootBoundS) << r.test << " booted in " << r.boot_s << " s, of which it waited "
                                 << r.boot_cpu_wait_s << " s for a host CPU and libvirt took "
                                 << r.domain_start_s << " s to start it (" << r.report << ")";
    boots_s.push_back(r.boot_s);
    held_s.push_back(held);
    if (r.boot_cpu_wait_s >= 0) waits_s.push_back(r.boot_cpu_wait_s);
  }
  EXPECT_GT(boots_s.size(), 20u) << "too few reports recorded a boot to judge the suite";
  // The wait is measured wherever the kernel keeps schedstat (every host this project runs on);
  // a wedge that stopped measuring it would hold nothing off, which this catches.
  EXPECT_EQ(waits_s.size(), boots_s.size()) << "reports without timings.boot_cpu_wait_s";
  EXPECT_TRUE(loaded_host_seen) << "LoadedHostTest's report was not read";
  if (!boots_s.empty()) {
    std::cout << "[boot times] " << boots_s.size() << " boots: fastest "
              << *std::min_element(boots_s.begin(), boots_s.end()) << " s, median "
              << median(boots_s) << " s, slowest "
              << *std::max_element(boots_s.begin(), boots_s.end())
              << " s; waiting for a host CPU: median " << median(waits_s) << " s, most "
              << (waits_s.empty() ? -1 : *std::max_element(waits_s.begin(), waits_s.end()))
              << " s; less that wait, slowest " << *std::max_element(held_s.begin(), held_s.end())
              << " s\n";
  }
}

TEST(BootTimesTest, NoBootWaitedOnLibvirtNotEvenOnALoadedHost) {
  std::vector<double> starts_s;
  std::vector<double> held_s;
  size_t over_bound = 0;
  bool loaded_host_seen = false;
  for (const BootRecord& r : read_boot_records()) {
    if (r.domain_start_s < 0) continue;
    loaded_host_seen = loaded_host_seen || r.test.starts_with(kLoadsTheHostOnPurpose);
    const double held = r.domain_start_less_cpu_wait_s();
    const std::string what = r.test + ": libvirt took " + std::to_string(r.domain_start_s) +
                             " s to start the domain, of which its threads and QEMU's waited " +
                             std::to_string(r.domain_start_cpu_wait_s) + " s for a host CPU (" +
                             r.report + ")";
    EXPECT_LE(held, kReprobeLeastS) << what;
    if (held > kDomainStartBoundS) {
      ++over_bound;
      std::cout << "[boot times] over " << kDomainStartBoundS << " s: " << what << "\n";
    }
    starts_s.push_back(r.domain_start_s);
    held_s.push_back(held);
  }
  EXPECT_GT(starts_s.size(), 20u) << "too few reports recorded a domain start";
  EXPECT_LE(median(held_s), kDomainStartMedianBoundS) << "libvirt is slow to start every domain";
  EXPECT_LE(over_bound, std::max<size_t>(1, starts_s.size() / kStartOutliersPerStarts))
      << "starts over " << kDomainStartBoundS << " s less their CPU wait";
  EXPECT_TRUE(loaded_host_seen) << "LoadedHostTest's report was not read";
  if (!starts_s.empty()) {
    std::cout << "[boot times] libvirt's start of " << starts_s.size() << " domains: median "
              << median(starts_s) << " s, slowest "
              << *std::max_element(starts_s.begin(), starts_s.end())
              << " s; less the CPU wait, slowest "
              << *std::max_element(held_s.begin(), held_s.end()) << " s\n";
  }
}

}  // namespace
