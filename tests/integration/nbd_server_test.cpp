// Starts real NBD servers (nbd-server and nbdkit) behind the relay and talks to them with
// qemu-io, the userspace NBD client: data lands in the export file, the relay counts it,
// SIGSTOP freezes the server, stop() leaves nothing behind.
#include "harness/storage/nbd_server.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "harness/storage/ports.h"
#include "harness/util/files.h"
#include "harness/util/path_access.h"
#include "harness/util/process.h"
#include "tests/integration/proc_identity.h"

namespace wedge::storage {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kExportSize = 64 << 20;
constexpr size_t kOffset = 4096;
constexpr size_t kLength = 1 << 20;

template <typename F>
bool eventually(F condition, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

std::vector<std::string> qemu_io(int port, const std::string& command) {
  return {"qemu-io", "-f", "raw", fmt::format("nbd://127.0.0.1:{}/wedge", port), "-c", command};
}

// Processes whose command line mentions needle (our work dir), as "pid: cmdline".
std::vector<std::string> processes_mentioning(const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto cmdline = read_file(entry.path() / "cmdline");
    if (!cmdline.ok() || cmdline->empty()) continue;
    std::string text = *cmdline;
    for (char& c : text) {
      if (c == '\0') c = ' ';
    }
    if (text.find(needle) != std::string::npos) found.push_back(pid + ": " + text);
  }
  return found;
}

// Processes in process group pgid.
std::vector<std::string> processes_in_group(pid_t pgid) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = read_file(entry.path() / "stat");
    if (!stat.ok()) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces, so parse after the last ')'.
    auto close = stat->rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    int pgrp = 0;
    if (std::sscanf(stat->c_str() + close + 1, " %c %d %d", &state, &ppid, &pgrp) != 3) continue;
    if (pgrp == pgid) found.push_back(pid + " state " + state);
  }
  return found;
}

class NbdServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-nbdtest", "/tmp");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    // Reachable by the unprivileged storage user, as a run folder must be.
    fs::permissions(dir_->path(), fs::perms(0755));
  }

  NbdServerOptions options() const {
    NbdServerOptions o;
    o.flavour = GetParam();
    o.export_file = dir_->path() / "export.img";
    o.size_bytes = kExportSize;
    o.work_dir = dir_->path() / "work";
    return o;
  }

  std::unique_ptr<TempDir> dir_;
};

TEST_P(NbdServerTest, ServesWritesThroughRelayFreezesOnSigstopAndStopsClean) {
  auto started = NbdServer::start(options(), seconds(10));
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<NbdServer> server = std::move(*started);
  std::cout << server->describe() << ": server port " << server->server_port() << ", guest port "
            << server->guest_port() << "\n";
  if (GetParam() == "nbd-server") {
    EXPECT_EQ(server->describe(), "nbd-server 3.24");
  } else {
    EXPECT_TRUE(server->describe().starts_with("nbdkit 1.")) << server->describe();
  }
  EXPECT_NE(server->guest_port(), server->server_port());
  EXPECT_TRUE(server->healthy());
  // Unprivileged: the storage user, no capabilities, owner of its export.
  auto user = find_account("wedge-storage");
  ASSERT_TRUE(user.ok()) << user.error().message();
  test::expect_runs_as(server->pid(), user->uid, "0000000000000000");
  EXPECT_EQ(test::owner_of(options().export_file), user->uid);

  // A write through the relay lands in the export file.
  auto wrote = run_checked(qemu_io(server->guest_port(), "write -P 0xab 4096 1M"), seconds(30));
  ASSERT_TRUE(wrote.ok()) << wrote.error().message();
  EXPECT_NE(wrote->out.find("wrote 1048576/1048576 bytes at offset 4096"), std::string::npos)
      << wrote->out;
  auto data = read_file(options().export_file);
  ASSERT_TRUE(data.ok()) << data.error().message();
  ASSERT_EQ(data->size(), kExportSize);
  EXPECT_EQ(data->find_first_not_of('\0'), kOffset);
  EXPECT_EQ(data->substr(kOffset, kLength), std::string(kLength, '\xab'));
  EXPECT_EQ(data->find_first_not_of('\0', kOffset + kLength), std::string::npos);

  ServerStats stats = server->stats();
  EXPECT_GT(stats.bytes_from_guest, kLength);
  EXPECT_GT(stats.bytes_to_guest, 0u);
  EXPECT_EQ(stats.connections, 1u);

  // Frozen: the client's handshake never completes.
  ASSERT_TRUE(server->signal(SIGSTOP).ok());
  EXPECT_TRUE(server->healthy());  // stopped is not dead
  auto frozen = run_command(qemu_io(server->guest_port(), "read -P 0xab 4096 1M"), seconds(3));
  ASSERT_FALSE(frozen.ok()) << frozen->out << frozen->err;
  EXPECT_EQ(frozen.error().message(), "qemu-io timed out after 3 s");

  // Thawed: the server first meets the abandoned connection, then serves a new one.
  ASSERT_TRUE(server->signal(SIGCONT).ok());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(eventually(
      [&] { return server->relay().stats().active_connections == 0 && server->healthy(); },
      seconds(10)))
      << "active connections " << server->relay().stats().active_connections << ", healthy "
      << server->healthy() << ", pid " << server->pid() << ", respawns " << server->respawns()
      << ", log: " << log_tail(server->log_path());
  auto read = run_checked(qemu_io(server->guest_port(), "read -P 0xab 4096 1M"), seconds(30));
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_NE(read->out.find("read 1048576/1048576 bytes at offset 4096"), std::string::npos)
      << read->out;
  EXPECT_EQ(read->out.find("failed"), std::string::npos) << read->out;
  if (GetParam() == "nbd-server") {
    // One process per session: write, the abandoned read, the read.
    EXPECT_GE(server->respawns(), 2u);
  }

  pid_t pid = server->pid();
  ASSERT_GT(pid, 0);
  auto stopped = server->stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().message();
  EXPECT_TRUE(server->stop().ok());  // idempotent
  EXPECT_FALSE(server->healthy());
  EXPECT_FALSE(server->signal(SIGCONT).ok());
  EXPECT_TRUE(processes_in_group(pid).empty());
  EXPECT_EQ(processes_mentioning(dir_->path().string()), std::vector<std::string>{});
}

TEST_P(NbdServerTest, MissingBinaryGivesClearError) {
  NbdServerOptions o = options();
  o.binary = "wedge-no-such-nbd-server";
  auto started = NbdServer::start(o, seconds(10));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(),
            fmt::format("starting {}: wedge-no-such-nbd-server not found on PATH (is its package "
                        "installed?)",
                        GetParam()));

  // The package is not installed: its binary is on no PATH directory.
  std::string saved = std::getenv("PATH");
  ::setenv("PATH", "/nonexistent", 1);
  started = NbdServer::start(options(), seconds(10));
  ::setenv("PATH", saved.c_str(), 1);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(
      started.error().message(),
      fmt::format("starting {0}: {0} not found on PATH (is its package installed?)", GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Flavours, NbdServerTest, ::testing::Values("nbd-server", "nbdkit"),
                         [](const auto& flavour) {
                           return flavour.param == "nbd-server" ? "NbdServer" : "Nbdkit";
                         });

TEST(NbdServer, RejectsBadOptions) {
  NbdServerOptions o;
  o.flavour = "qemu-nbd";
  o.export_file = "/tmp/x.img";
  o.size_bytes = 1 << 20;
  o.work_dir = "/tmp";
  auto started = NbdServer::start(o, seconds(1));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(),
            "starting qemu-nbd: unknown NBD server flavour 'qemu-nbd' (use nbd-server or nbdkit)");
  o.flavour = "nbd-server";
  o.export_name = "a]b";
  started = NbdServer::start(o, seconds(1));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(),
            "starting nbd-server: export name 'a]b' may only hold letters, digits, '.', '_' and "
            "'-'");
}

// Filters go on nbdkit's command line in order, with their parameters.
TEST(NbdServer, NbdkitFiltersApply) {
  auto dir = TempDir::create("wedge-nbdtest", "/tmp");
  ASSERT_TRUE(dir.ok());
  fs::permissions(dir->path(), fs::perms(0755));
  NbdServerOptions o;
  o.flavour = "nbdkit";
  o.export_file = dir->path() / "export.img";
  o.size_bytes = kExportSize;
  o.work_dir = dir->path();
  o.nbdkit_filters = {"delay"};
  o.nbdkit_params = {"rdelay=500ms"};
  auto started = NbdServer::start(o, seconds(10));
  ASSERT_TRUE(started.ok()) << started.error().message();
  auto start = Clock::now();
  auto read = run_checked(qemu_io((*started)->guest_port(), "read 0 4k"), seconds(30));
  auto took = Clock::now() - start;
  ASSERT_TRUE(read.ok()) << read.error().message();
  EXPECT_GE(took, milliseconds(500));
  EXPECT_TRUE((*started)->stop().ok());
}

}  // namespace
}  // namespace wedge::storage
