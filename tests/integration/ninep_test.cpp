// End-to-end test of transport = "9p" through the real `wedge` CLI: a guest on Debian's generic
// kernel copies a known host file into its 9p mount, and the run's share folder on the host
// then holds the same bytes; the scenario loader refuses 9p on the cloud kernel.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "harness/util/files.h"
#include "tests/integration/run_helpers.h"

namespace wedge {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using test::expect_nothing_leaked;
using test::load_json;
using test::run_wedge;
using test::WedgeRun;

// Deterministic bytes that no zero-fill or short write could pass for (xorshift64).
std::string pattern(size_t bytes) {
  std::string out(bytes, '\0');
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < bytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 56);
  }
  return out;
}

class NinepTest : public test::TempDirTest {};

TEST_F(NinepTest, FileWrittenInTheGuestAppearsInTheHostShare) {
  constexpr size_t kBytes = 24u << 20;
  const std::string data = pattern(kBytes);
  fs::path source = dir() / "pattern.bin";
  ASSERT_TRUE(write_file_atomic(source, data).ok());
  fs::path scenario = dir() / "ninep.toml";
  ASSERT_TRUE(write_file_atomic(scenario, fmt::format(R"(
name = "ninep-copy"
[guest]
memory_mib = 256
kernel = "debian-amd64"
[storage]
transport = "9p"
use = "fs"
[workload]
kind = "command"
files = ["{}"]
argv = ["/bin/busybox", "dd", "if=/extra/pattern.bin", "of=/mnt/wedge/copy.bin", "bs=65536",
        "conv=fsync"]
[limits]
duration_s = 300
)",
                                                      source.string()))
                  .ok());
  fs::path out = dir() / "run";
  WedgeRun r =
      run_wedge({"run", scenario.string(), "--out", out.string(), "-q", "--keep-export"}, 900s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  EXPECT_EQ(report["server"]["name"], "9p (virtio, no server)");
  EXPECT_NE(report["versions"]["kernel"].get<std::string>().find("-amd64"), std::string::npos);
  EXPECT_EQ(report["versions"]["kernel"].get<std::string>().find("cloud"), std::string::npos);

  fs::path copy = out / "9p-share" / "copy.bin";
  ASSERT_TRUE(fs::exists(copy)) << "the guest's file is not in the host share";
  EXPECT_EQ(fs::file_size(copy), kBytes);
  auto written = read_file(copy);
  ASSERT_TRUE(written.ok());
  EXPECT_TRUE(*written == data) << "contents differ from what the guest was given";
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find("9pnet"), std::string::npos) << "the kernel never mentioned 9pnet";
  expect_nothing_leaked(out);
}

TEST_F(NinepTest, CloudKernelIsRefusedBeforeAnythingStarts) {
  fs::path scenario = dir() / "cloud.toml";
  ASSERT_TRUE(
      write_file_atomic(scenario, "[storage]\ntransport = \"9p\"\nuse = \"fs\"\n[workload]\n")
          .ok());
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", (dir() / "run").string()}, 60s);
  EXPECT_EQ(r.status.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(scenario.string() + ":1: [storage] transport = \"9p\" needs a kernel"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("kernel = \"debian-amd64\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "run"));
}

}  // namespace
}  // namespace wedge
