// Finding the system libvirt daemon's pid from fake /run and /proc trees: the monolithic
// libvirtd or the modular virtqemud, a stale pid file, and URIs that name another daemon.
#include "harness/vm/libvirt/daemon_pid.h"

#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "tests/unit/temp_dir_fixture.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;

class DaemonPidTest : public wedge::testing::TempDirFixture {
 protected:
  void SetUp() override {
    TempDirFixture::SetUp();
    fs::create_directories(run() / "libvirt");
  }
  void process(int pid, const std::string& comm) {
    fs::create_directories(proc() / std::to_string(pid));
    ASSERT_TRUE(write_file_atomic(proc() / std::to_string(pid) / "comm", comm + "\n").ok());
  }
  void pid_file(const std::string& name, const std::string& text) {
    ASSERT_TRUE(write_file_atomic(run() / name, text).ok());
  }
  [[nodiscard]] int find(std::string_view uri) const {
    return libvirt_daemon_pid(uri, run(), proc());
  }
  [[nodiscard]] fs::path run() const { return dir() / "run"; }
  [[nodiscard]] fs::path proc() const { return dir() / "proc"; }
};

TEST_F(DaemonPidTest, FindsTheMonolithicDaemon) {
  process(6549, "libvirtd");
  pid_file("libvirtd.pid", "6549\n");
  EXPECT_EQ(find("qemu:///system"), 6549);
}

TEST_F(DaemonPidTest, FindsTheModularQemuDaemon) {
  process(77, "virtqemud");
  pid_file("libvirt/virtqemud.pid", "77\n");
  EXPECT_EQ(find("qemu:///system"), 77);
}

TEST_F(DaemonPidTest, AStalePidFileOrGarbageIsNotADaemon) {
  process(6549, "bash");  // the pid was reused
  pid_file("libvirtd.pid", "6549\n");
  EXPECT_EQ(find("qemu:///system"), 0);
  pid_file("libvirtd.pid", "65x49\n");
  EXPECT_EQ(find("qemu:///system"), 0);
  pid_file("libvirtd.pid", "-1\n");
  EXPECT_EQ(find("qemu:///system"), 0);
}

TEST_F(DaemonPidTest, OtherUrisNameADaemonWedgeCannotTell) {
  process(6549, "libvirtd");
  pid_file("libvirtd.pid", "6549\n");
  EXPECT_EQ(find("qemu:///system?socket=/tmp/x/libvirt-sock"), 0);
  EXPECT_EQ(find("qemu:///session"), 0);
  EXPECT_EQ(find("qemu+ssh://host/system"), 0);
}

}  // namespace
}  // namespace wedge::vm
