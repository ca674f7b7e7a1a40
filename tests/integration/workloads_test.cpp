// End-to-end tests of the workloads on real guests (TCG): mke2fs leaves a valid filesystem on
// the host's export (an NBD device, an image file on NFS), large-file and concurrent writers verify
// every block, an nbdkit error fault and a block corrupted behind the guest's back are found with
// file and offset, and the cgroup memory cap makes the OOM killer fire inside the cgroup, and the
// samples show the cgroup, the swap device and the server over time.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

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

class WorkloadsTest : public test::TempDirTest {};

// A finding of `kind` in the report, or null.
json finding_of(const json& report, const std::string& kind) {
  for (const json& f : report["findings"]) {
    if (f["kind"] == kind) return f;
  }
  return json();
}

// Runs a built-in mke2fs scenario keeping its export, checks the report of a 4 GiB format
// whose inode tables were written, and that image (a path in the run dir) is a clean ext4 of
// 1048576 blocks on the host. Returns the report.
json run_mke2fs_and_check_image(const fs::path& out, const std::string& scenario,
                                const fs::path& image) {
  WedgeRun r = run_wedge({"run", scenario, "--out", out.string(), "--keep-export", "-q"}, 300s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  EXPECT_EQ(report["guest"]["workload"]["kind"], "mke2fs");
  EXPECT_EQ(report["guest"]["workload"]["total"], 4096);
  EXPECT_GT(report["guest"]["workload"]["done"].get<uint64_t>(), 64u) << "inode tables written";
  auto dumped = run_command({"dumpe2fs", "-h", (out / image).string()}, 60s);
  EXPECT_TRUE(dumped.ok());
  if (dumped.ok()) {
    EXPECT_EQ(dumped->status.code, 0) << dumped->err;
    EXPECT_NE(dumped->out.find("Filesystem state:         clean"), std::string::npos)
        << dumped->out;
    EXPECT_NE(dumped->out.find("Block count:              1048576"), std::string::npos);
  }
  return report;
}

// mke2fs writes every inode table of a 4 GiB device from a 128 MiB guest; the export the host
// keeps holds a clean ext4.
TEST_F(WorkloadsTest, Mke2fsOn4GiBNbdDeviceLeavesValidFilesystem) {
  fs::path out = dir() / "run";
  run_mke2fs_and_check_image(out, "mke2fs-nbd", "export.img");
  fs::remove(out / "export.img");
}

// The same on NFS: mke2fs creates a 4 GiB image file on the mount and writes its inode tables
// through the NFS client (NFSv4.1 has no fallocate: real writes); the file the host's export
// holds is a clean ext4, and the bytes went through ganesha.
TEST_F(WorkloadsTest, Mke2fsOnNfsLeavesValidImageFile) {
  fs::path out = dir() / "run";
  json report = run_mke2fs_and_check_image(out, "mke2fs-nfs", "nfs-export/mke2fs.img");
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 64ull << 20);
  EXPECT_EQ(fs::file_size(out / "nfs-export" / "mke2fs.img"), 4096ull << 20);
  fs::remove_all(out / "nfs-export");
}

// 256 MiB through the page cache of a 128 MiB guest, fsync, remount, every block read back.
TEST_F(WorkloadsTest, LargeFileWritesTwiceRamAndVerifies) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "large-file-async-nbd", "--out", out.string(), "-q"}, 300s);
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  EXPECT_EQ(report["guest"]["workload"]["done"], 512);  // 256 written + 256 verified
  EXPECT_EQ(report["guest"]["workload"]["phase"], "verified");
  EXPECT_GT(report["server"]["bytes_written"].get<uint64_t>(), 256ull << 20);
  auto log = read_file(out / "workload.log");
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find("remounted /mnt/wedge"), std::string::npos);
  EXPECT_NE(log->find("verify ok"), std::string::npos);
  expect_nothing_leaked(out);
}

TEST_F(WorkloadsTest, ConcurrentWritersToOneFileVerify) {
  fs::path scenario = write_scenario("writers", R"(
[guest]
memory_mib = 128
[storage]
size_mib = 256
use = "fs"
[workload]
kind = "concurrent-writers"
size_mib = 128
writers = 4
same_file = true
remount = true
)");
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 300s);
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  EXPECT_EQ(report["guest"]["workload"]["done"], 256);
  expect_nothing_leaked(out);
}

// Reads the run's workload.log until an "extent FILE LOGICAL PHYSICAL LENGTH" line appears.
std::optional<std::pair<uint64_t, uint64_t>> wait_for_extent(const fs::path& log) {
  for (int i = 0; i < 1800; ++i) {
    auto text = read_file(log);
    if (text.ok()) {
      std::istringstream in(*text);
      std::string line;
      while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string tag, file;
        uint64_t logical = 0, physical = 0, length = 0;
        if (words >> tag >> file >> logical >> physical >> length && tag == "extent" &&
            logical == 0) {
          return std::pair{physical, length};
        }
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  return std::nullopt;
}

// 4 KiB of the file overwritten in the host's export while the guest pauses before verifying:
// after the remount the read-back finds exactly that block lost.
TEST_F(WorkloadsTest, BlockCorruptedBehindTheGuestIsDataLossAtItsOffset) {
  fs::path scenario = write_scenario("corrupt", R"(
[guest]
memory_mib = 128
[storage]
size_mib = 256
use = "fs"
[workload]
kind = "large-file"
size_mib = 32
remount = true
pause_before_verify_s = 20
[limits]
duration_s = 240
stall_s = 60
)");
  fs::path out = dir() / "run";
  SpawnOptions options;
  options.stdout_path = dir() / "stdout";
  auto child = ChildProcess::spawn(
      {WEDGE_BINARY, "run", scenario.string(), "--out", out.string(), "-q"}, options);
  ASSERT_TRUE(child.ok()) << child.error().message();
  auto extent = wait_for_extent(out / "workload.log");
  ASSERT_TRUE(extent) << "no extent line from the writer";
  ASSERT_GE(extent->second, (1u << 20) + 4096);
  {
    std::fstream image(out / "export.img", std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(image.good());
    image.seekp(static_cast<std::streamoff>(extent->first + (1 << 20)));
    std::string garbage(4096, 'X');
    image.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto status = child->wait_for(240s);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 1);
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "data_loss") << report.dump(2);
  json f = finding_of(report, "data_loss");
  ASSERT_FALSE(f.is_null()) << report.dump(2);
  EXPECT_EQ(f["data"]["file"], "/mnt/wedge/large-file");
  EXPECT_EQ(f["data"]["offset"], 1 << 20);
  EXPECT_EQ(f["data"]["length"], 4096);
  EXPECT_EQ(f["data"]["what"], "mismatch");
  expect_nothing_leaked(out);
}

// nbdkit fails every request for 15 s under a large-file write on ext4: the kernel's I/O
// error is an io_error finding during the fault that names the device, the failed request's
// sector (as the console printed it) and the file, by the inode ext4 names. The stock kernel
// then aborts the journal and can leave the writer in balance_dirty_pages for good (dirty pages
// of an aborted ext4 never get clean): that is a hang found after the I/O error, with the
// writer's stack. Either way exit 1, never a pass, never infra.
TEST_F(WorkloadsTest, NbdkitErrorFaultDuringLargeFileIsIoErrorNamingFileAndSector) {
  fs::path scenario = write_scenario("nbdkit-error", R"(
[guest]
memory_mib = 128
[storage]
transport = "nbd"
server = "nbdkit"
size_mib = 512
use = "fs"
fs = "ext4"
[workload]
kind = "large-file"
size_mib = 128
[[fault]]
kind = "error"
at_s = 3
duration_s = 15
error_rate = 1.0
[limits]
duration_s = 300
stall_s = 20
)");
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 500s);
  json report = load_json(out / "report.json");
  EXPECT_EQ(r.status.code, 1) << r.out << r.err << report.dump(2);
  ASSERT_EQ(report["faults"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["faults"][0]["kind"], "error");
  json io = finding_of(report, "io_error");
  ASSERT_FALSE(io.is_null()) << "no io_error finding: " << report.dump(2);
  EXPECT_TRUE(test::during_fault(io)) << io.dump(2);
  const json& data = io["data"];
  ASSERT_TRUE(data.is_object()) << io.dump(2);
  EXPECT_EQ(data["source"], "kernel");
  EXPECT_EQ(data["device"], "nbd0");
  EXPECT_EQ(data["what"], "write");
  EXPECT_EQ(data["file"], "/mnt/wedge/large-file") << "the inode did not name the file";
  ASSERT_TRUE(data.contains("sector")) << data.dump(2);
  uint64_t sector = data["sector"];
  EXPECT_EQ(data["device_offset"].get<uint64_t>(), sector * 512);
  EXPECT_LT(sector * 512, 512ull << 20) << "past the end of the 512 MiB device";
  auto console = read_file(out / "console.log");
  ASSERT_TRUE(console.ok());
  EXPECT_NE(console->find(fmt::format("I/O error, dev nbd0, sector {} ", sector)),
            std::string::npos)
      << "the sector is not one the kernel printed";
  EXPECT_NE(console->find(fmt::format("writing to inode {} ", data["inode"].get<uint64_t>())),
            std::string::npos);

  if (report["verdict"] == "hang") {
    json hang = finding_of(report, "hang");
    ASSERT_FALSE(hang.is_null());
    EXPECT_GE(hang["onset_s"].get<double>(), io["onset_s"].get<double>())
        << "a hang before the I/O error is not this outcome";
    bool writer_stack = false;
    for (const auto& g : hang["stacks"]) {
      for (const auto& task : g["tasks"]) {
        writer_stack |= task.get<std::string>().rfind("wedge-write:", 0) == 0;
      }
    }
    EXPECT_TRUE(writer_stack) << "the stuck writer's stack is missing: " << hang.dump(2);
    std::cout << "after the I/O errors the writer never came back (a kernel finding): "
              << hang["title"] << "\n";
  } else {
    EXPECT_EQ(report["verdict"], "io_error") << report.dump(2);
  }
  expect_nothing_leaked(out);
}

// The records of a JSON-lines file of the run (samples.jsonl, progress.jsonl).
std::vector<json> jsonl(const fs::path& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// The values of key over the samples that have it, in time order.
std::vector<uint64_t> sampled(const fs::path& run_dir, const std::string& key) {
  std::vector<uint64_t> out;
  for (const json& j : jsonl(run_dir / "samples.jsonl")) {
    if (j["sample"].contains(key)) out.push_back(j["sample"][key].get<uint64_t>());
  }
  return out;
}

std::string oom_scenario(bool oom_ok) {
  return fmt::format(R"(
[storage]
size_mib = 256
[workload]
size_mib = 128
verify = false
[memory]
max_mib = 64
swap_max_mib = 0
[sysctl]
vm.swappiness = 100
[limits]
duration_s = 200
oom_ok = {}
)",
                     oom_ok);
}

// The cgroup cap, not the guest's RAM, stops the hog: the OOM killer fires inside the cgroup.
TEST_F(WorkloadsTest, CgroupMaxMibOomIsPassWithOomOkAndCountedInReport) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge(
      {"run", write_scenario("oom-ok", oom_scenario(true)).string(), "--out", out.string(), "-q"},
      300s);
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  EXPECT_EQ(report["cgroup"]["max_mib"], 64);
  EXPECT_EQ(report["cgroup"]["swap_max_mib"], 0);
  EXPECT_GE(report["cgroup"]["events"]["oom_kill"].get<int>(), 1) << report.dump(2);
  EXPECT_EQ(report["sysctl"]["vm.swappiness"]["read_back"], "100");
  EXPECT_EQ(report["guest"]["workload_signal"], 9);
  // The samples watched the cgroup, never above its cap, and the one the agent takes when a
  // job ends saw the cap reached and the OOM kill (the hog fills 64 MiB in less than one
  // sampling tick, so a sample in between is luck and not asserted).
  std::vector<uint64_t> current = sampled(out, "cgroup_memory_current_bytes");
  ASSERT_FALSE(current.empty()) << "the cgroup was not sampled";
  EXPECT_LE(*std::max_element(current.begin(), current.end()), 64ull << 20);
  std::vector<uint64_t> kills = sampled(out, "cgroup_events_oom_kill");
  ASSERT_FALSE(kills.empty());
  EXPECT_GE(kills.back(), 1u) << "no sample after the hog's end saw the OOM kill";
  std::vector<uint64_t> at_max = sampled(out, "cgroup_events_max");
  ASSERT_FALSE(at_max.empty());
  EXPECT_GE(at_max.back(), 1u) << "memory.events max never counted the cap being hit";
  EXPECT_FALSE(sampled(out, "block_sectors_written").empty()) << "nbd0 was not sampled";
  expect_nothing_leaked(out);
}

// A hog twice its cgroup's cap swaps the rest to nbd0: the samples show memory.current at the
// cap, memory.swap.current and nbd0's sectors written growing, and progress.jsonl shows the
// hog's progress and the bytes through nbd-server growing over time.
TEST_F(WorkloadsTest, CgroupSwapRunSamplesCgroupDeviceProgressAndServer) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run",
                          write_scenario("cgroup-swap", R"(
[storage]
size_mib = 512
[workload]
size_mib = 160
verify = true
[memory]
max_mib = 64
[limits]
duration_s = 280
)")
                              .string(),
                          "--out", out.string()},
                         320s);
  ASSERT_EQ(r.status.code, 0) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "pass") << report.dump(2);
  // The agent acknowledged the watch request (a lost answer cost every run 10 s before the
  // workload started).
  EXPECT_EQ(r.out.find("not sampled"), std::string::npos) << r.out;
  std::vector<uint64_t> current = sampled(out, "cgroup_memory_current_bytes");
  ASSERT_GE(current.size(), 3u);
  EXPECT_GT(*std::max_element(current.begin(), current.end()), 48ull << 20);
  std::vector<uint64_t> swapped = sampled(out, "cgroup_swap_current_bytes");
  ASSERT_FALSE(swapped.empty());
  EXPECT_GT(*std::max_element(swapped.begin(), swapped.end()), 64ull << 20)
      << "the hog's rest did not go to swap";
  std::vector<uint64_t> high = sampled(out, "cgroup_events_max");
  ASSERT_FALSE(high.empty());
  EXPECT_GT(high.back(), high.front()) << "memory.max was never hit";
  std::vector<uint64_t> written = sampled(out, "block_sectors_written");
  ASSERT_GE(written.size(), 3u);
  // At least the 96 MiB beyond the cap went out as 512-byte sectors, during the run.
  EXPECT_GT(written.back() - written.front(), (96ull << 20) / 512 * 9 / 10);
  EXPECT_EQ(sampled(out, "block_inflight_writes").size(), written.size());
  for (const json& j : jsonl(out / "samples.jsonl")) {
    if (j["sample"].contains("block_device")) {
      EXPECT_EQ(j["sample"]["block_device"], "nbd0");
    }
  }

  std::vector<json> progress = jsonl(out / "progress.jsonl");
  ASSERT_GE(progress.size(), 5u);
  uint64_t first_bytes = 0, last_bytes = 0, last_done = 0;
  double last_t = -1;
  int grew = 0;
  uint64_t prev_done = 0;
  for (const json& p : progress) {
    EXPECT_GT(p["t_s"].get<double>(), last_t) << "records out of time order";
    last_t = p["t_s"].get<double>();
    ASSERT_TRUE(p.contains("server")) << p.dump();
    uint64_t bytes = p["server"]["bytes_from_guest"].get<uint64_t>();
    if (first_bytes == 0) first_bytes = bytes;
    EXPECT_GE(bytes, last_bytes) << "a byte counter went back";
    last_bytes = bytes;
    if (!p.contains("workload")) continue;
    EXPECT_EQ(p["workload"]["unit"], "MiB");
    last_done = p["workload"]["done"].get<uint64_t>();
    if (last_done > prev_done) ++grew;
    prev_done = last_done;
  }
  EXPECT_GT(last_bytes - first_bytes, 64ull << 20) << "swap did not cross the wire during the run";
  EXPECT_GE(grew, 3) << "progress did not grow over several records";
  // The last record is at most a second old when the run ends.
  EXPECT_GE(last_done, 80u);
  EXPECT_LE(last_done, report["guest"]["workload"]["done"].get<uint64_t>());
  expect_nothing_leaked(out);
}

TEST_F(WorkloadsTest, CgroupMaxMibOomIsUnexpectedOomOtherwise) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge(
      {"run", write_scenario("oom", oom_scenario(false)).string(), "--out", out.string(), "-q"},
      300s);
  EXPECT_EQ(r.status.code, 1) << r.out << r.err;
  json report = load_json(out / "report.json");
  EXPECT_EQ(report["verdict"], "unexpected_oom") << report.dump(2);
  EXPECT_GE(report["cgroup"]["events"]["oom_kill"].get<int>(), 1);
  expect_nothing_leaked(out);
}

// A dynamic host program in [workload] files runs in the guest: its shared libraries (libm and
// the rest ldd names, with the loader) come into the image with it, from the host's library
// directories although only the scenario's folder may hold user-named files. stress-ng really
// works: its vm stressors finish and it reports their bogo ops.
TEST_F(WorkloadsTest, CommandRunsDynamicHostBinaryFromFilesWithItsLibraries) {
  ASSERT_TRUE(fs::exists("/usr/bin/stress-ng")) << "ci/setup.sh installs stress-ng";
  fs::copy_file("/usr/bin/stress-ng", dir() / "stress-ng");
  fs::path out = dir() / "run";
  fs::path scenario = write_scenario("stress", R"(
[guest]
memory_mib = 256
[workload]
kind = "command"
files = ["stress-ng"]
argv = ["/extra/stress-ng", "--vm", "2", "--vm-bytes", "16M", "--timeout", "5s",
        "--metrics-brief", "--temp-path", "/tmp"]
[limits]
duration_s = 240
)");
  WedgeRun r = run_wedge({"run", scenario.string(), "--out", out.string(), "-q"}, 400s);
  json report = load_json(out / "report.json");
  EXPECT_EQ(r.status.code, 0) << r.out << r.err;
  EXPECT_EQ(report["verdict"], "pass") << report["findings"].dump(2);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  auto log = read_file(out / "workload.log");
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->find("cannot open shared object file"), std::string::npos) << *log;
  EXPECT_NE(log->find("successful run completed"), std::string::npos) << *log;
  // --metrics-brief: one line per stressor with its bogo ops ("vm  1234  5.00 ...").
  auto at = log->find("] vm ");
  ASSERT_NE(at, std::string::npos) << *log;
  uint64_t bogo_ops = std::strtoull(log->c_str() + at + 5, nullptr, 10);
  EXPECT_GT(bogo_ops, 0u) << *log;
  expect_nothing_leaked(out);
}

// The built-in fio scenario: Debian's fio (from [workload] kind = "fio"'s package, with its
// library closure) writes 64 MiB of random 16 KiB blocks to the NBD device. Its own JSON
// result in report.json and the host server's byte count both show the bytes.
TEST_F(WorkloadsTest, FioRandwriteOnNbdWritesTheJobsBytes) {
  fs::path out = dir() / "run";
  WedgeRun r = run_wedge({"run", "fio-randwrite-nbd", "--out", out.string(), "-q"}, 600s);
  json report = load_json(out / "report.json");
  ASSERT_EQ(r.status.code, 0) << r.out << r.err << report.dump(2);
  EXPECT_EQ(report["verdict"], "pass") << report["findings"].dump(2);
  EXPECT_EQ(report["guest"]["workload_exit_code"], 0);
  const json& w = report["guest"]["workload"];
  EXPECT_EQ(w["kind"], "fio");
  EXPECT_EQ(w["unit"], "permille");
  EXPECT_EQ(w["total"], 1000);
  EXPECT_GT(w["done"].get<uint64_t>(), 0u) << "fio's status lines arrived as progress";
  ASSERT_TRUE(w.contains("result")) << report["guest"].dump(2);
  const json& result = w["result"];
  EXPECT_EQ(result["fio_version"].get<std::string>().rfind("fio-", 0), 0u) << result.dump(2);
  EXPECT_EQ(result["job_count"], 1);
  EXPECT_EQ(result["jobs"][0]["name"], "randwrite");
  EXPECT_EQ(result["jobs"][0]["error"], 0);
  EXPECT_EQ(result["write_bytes"], 64u << 20) << result.dump(2);
  EXPECT_EQ(result["jobs"][0]["write"]["total_ios"], (64u << 20) / (16u << 10));
  // Every block crossed the wire to the host's nbd-server (plus NBD headers and the flush).
  uint64_t server_written = report["server"]["bytes_written"];
  EXPECT_GE(server_written, 64ull << 20) << report["server"].dump(2);
  EXPECT_LT(server_written, 80ull << 20) << report["server"].dump(2);
  fmt::print(
      "fio-randwrite-nbd: fio wrote {} bytes, nbd-server received {} bytes, {:.0f} IOPS, "
      "run {:.1f} s, pinned image {:.1f} MiB\n",
      result["write_bytes"].get<uint64_t>(), server_written,
      result["jobs"][0]["write"]["iops"].get<double>(), report["timings"]["run_s"].get<double>(),
      report["image"]["pinned_bytes"].get<double>() / 1048576.0);
  expect_nothing_leaked(out);
}

}  // namespace
}  // namespace wedge
