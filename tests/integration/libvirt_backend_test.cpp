// Boots real TCG guests through libvirt: console, host-side sysrq, balloon, agent channel,
// teardown. Needs root, a running libvirtd (qemu:///system) and the Debian cloud kernel.
#include "harness/vm/libvirt/libvirt_backend.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/kvm_probe.h"
#include "vm-images/image.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// The default Debian kernel, fetched into the tests' image cache on first use.
fs::path test_kernel() {
  static const fs::path kernel = [] {
    image::ImageRequest r;
    r.cache_dir = WEDGE_TEST_CACHE_DIR;
    r.agent_binary = "/bin/busybox";
    auto img = image::build_image(r);
    return img.ok() ? img->kernel : fs::path();
  }();
  return kernel;
}
const fs::path kBusybox = "/bin/busybox";

// One entry of a newc ("070701") cpio archive, the format the kernel unpacks as initramfs.
void append_newc(std::string& out, const std::string& name, uint32_t mode, const std::string& data,
                 uint32_t rdev_major = 0, uint32_t rdev_minor = 0) {
  static uint32_t ino = 1;
  auto pad4 = [&out] { out.append((4 - out.size() % 4) % 4, '\0'); };
  out += fmt::format(
      "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}", ino++,
      mode, 0, 0, 1, 0, data.size(), 0, 0, rdev_major, rdev_minor, name.size() + 1, 0);
  out += name;
  out += '\0';
  pad4();
  out += data;
  pad4();
}

// A trivial initramfs: busybox as /init, which without arguments runs busybox's init; the
// inittab gives it a single "press Enter" console, so the console stays quiet.
Result<fs::path> build_initrd(const fs::path& dir) {
  WEDGE_TRY(std::string busybox, read_file(kBusybox));
  std::string cpio;
  append_newc(cpio, "dev", 040755, "");
  append_newc(cpio, "dev/console", 020600, "", 5, 1);
  append_newc(cpio, "bin", 040755, "");
  append_newc(cpio, "bin/sh", 0120777, "/init");
  append_newc(cpio, "etc", 040755, "");
  append_newc(cpio, "etc/inittab", 0100644, "::askfirst:/bin/sh\n");
  append_newc(cpio, "init", 0100755, busybox);
  append_newc(cpio, "TRAILER!!!", 0, "");
  fs::path path = dir / "initrd.cpio";
  WEDGE_CHECK(write_file_atomic(path, cpio));
  return path;
}

// "7.2.22": three dot-separated numbers.
bool is_version(const std::string& text) {
  int groups = 0;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string group =
        text.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (group.empty() || group.find_first_not_of("0123456789") != std::string::npos) return false;
    ++groups;
    if (dot == std::string::npos) return groups == 3;
    start = dot + 1;
  }
}

class LibvirtBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kernel_ = test_kernel();
    ASSERT_TRUE(fs::exists(kernel_)) << "could not fetch the default kernel";
    auto dir = TempDir::create("wedge-vmtest", "/tmp");
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_ = std::make_unique<TempDir>(std::move(*dir));
    auto initrd = build_initrd(dir_->path());
    ASSERT_TRUE(initrd.ok()) << initrd.error().message();
    initrd_ = *initrd;
    auto backend = LibvirtBackend::connect();
    ASSERT_TRUE(backend.ok()) << backend.error().message();
    backend_ = std::move(*backend);
  }

  void TearDown() override {
    if (!backend_) return;
    // Safety net, then the real check: nothing of this test process is left behind.
    auto names = backend_->list_wedge_domains();
    ASSERT_TRUE(names.ok()) << names.error().message();
    for (const auto& name : *names) {
      if (name.starts_with(prefix())) {
        ADD_FAILURE() << "domain left running: " << name;
        EXPECT_TRUE(backend_->destroy_domain(name).ok());
      }
    }
  }

  std::string prefix() const { return fmt::format("wedge-itest-vm-{}-", ::getpid()); }

  VmSpec spec(const std::string& id) {
    VmSpec s;
    s.name = prefix() + id;
    s.memory_mib = 256;
    s.kernel = kernel_;
    s.initrd = initrd_;
    s.cmdline = "console=ttyS0";
    s.console_log = dir_->path() / (id + "-console.log");
    s.agent_socket = dir_->path() / (id + "-agent.sock");
    s.owner = "libvirt_backend_test";
    return s;
  }

  bool listed(const std::string& name) {
    auto names = backend_->list_wedge_domains();
    EXPECT_TRUE(names.ok()) << names.error().message();
    return names.ok() && std::find(names->begin(), names->end(), name) != names->end();
  }

  // Reads the console into console_ until it contains text or timeout passes.
  bool wait_for_console(Instance& vm, const std::string& text, milliseconds timeout) {
    auto deadline = steady_clock::now() + timeout;
    while (true) {
      auto chunk = vm.read_console();
      EXPECT_TRUE(chunk.ok()) << chunk.error().message();
      if (!chunk.ok()) return false;
      console_ += *chunk;
      if (console_.find(text) != std::string::npos) return true;
      if (steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  std::unique_ptr<TempDir> dir_;
  fs::path initrd_;
  fs::path kernel_;
  std::unique_ptr<LibvirtBackend> backend_;
  std::string console_;
};

TEST_F(LibvirtBackendTest, BootsPrintsConsoleAnswersSysrqAndIsDestroyed) {
  VmSpec s = spec("boot");
  auto started = backend_->start(s);
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<Instance> vm = std::move(*started);
  EXPECT_EQ(vm->name(), s.name);
  EXPECT_TRUE(listed(s.name));

  auto state = vm->state();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(*state, DomainState::kRunning);
  EXPECT_TRUE(is_version(vm->qemu_version())) << vm->qemu_version();
  EXPECT_TRUE(is_version(vm->libvirt_version())) << vm->libvirt_version();
  EXPECT_EQ(vm->qemu_version(), backend_->qemu_version());
  EXPECT_EQ(vm->libvirt_version(), backend_->libvirt_version());
  std::cout << "qemu " << vm->qemu_version() << ", libvirt " << vm->libvirt_version() << "\n";

  ASSERT_TRUE(wait_for_console(*vm, "Linux version", seconds(60))) << console_;
  // Host-side sysrq arrives as PC keyboard input: the i8042 and the AT keyboard driver must be
  // up before the keys can mean anything.
  ASSERT_TRUE(wait_for_console(*vm, "input: AT Translated Set 2 keyboard", seconds(60)))
      << console_;
  ASSERT_TRUE(wait_for_console(*vm, "Run /init as init process", seconds(60))) << console_;
  auto sent_at = steady_clock::now();
  ASSERT_TRUE(vm->send_sysrq('h').ok());
  ASSERT_TRUE(wait_for_console(*vm, "sysrq: HELP", seconds(20))) << console_;
  std::cout << "sysrq help on the console after "
            << std::chrono::duration_cast<milliseconds>(steady_clock::now() - sent_at).count()
            << " ms\n";

  EXPECT_FALSE(vm->send_sysrq('#').ok());
  auto balloon = vm->set_balloon_mib(200);
  EXPECT_TRUE(balloon.ok()) << balloon.error().message();
  EXPECT_FALSE(vm->set_balloon_mib(512).ok());

  // The guest runs no agent: the channel is there, but silent.
  auto agent = vm->read_agent();
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  EXPECT_EQ(*agent, "");

  // Nobody reads the port: QEMU stops reading the socket, so a big write stalls, and after a
  // partial frame no further write is allowed.
  auto stalled = vm->write_agent(std::string(8 << 20, 'x'));
  ASSERT_FALSE(stalled.ok());
  EXPECT_TRUE(stalled.error().message().starts_with(s.name + ": agent channel: write stalled ("))
      << stalled.error().message();
  auto after_stall = vm->write_agent("ping");
  ASSERT_FALSE(after_stall.ok());
  EXPECT_EQ(after_stall.error().message(),
            s.name + ": agent channel: an earlier write was cut short");
  EXPECT_TRUE(vm->read_agent().ok());  // reading still works

  auto destroyed = vm->destroy();
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().message();
  EXPECT_TRUE(vm->destroy().ok());  // idempotent
  EXPECT_FALSE(listed(s.name));
  state = vm->state();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, DomainState::kShutoff);
  auto after = vm->read_agent();
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message().find("agent channel closed"), std::string::npos);
}

TEST_F(LibvirtBackendTest, AgentChannelReportsQemuGoingAway) {
  VmSpec s = spec("agent");
  auto started = backend_->start(s);
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<Instance> vm = std::move(*started);
  auto first = vm->read_agent();  // connects
  ASSERT_TRUE(first.ok()) << first.error().message();

  // Killed behind the Instance's back, as when QEMU dies.
  ASSERT_TRUE(backend_->destroy_domain(s.name).ok());
  Result<std::string> read = std::string();
  auto deadline = steady_clock::now() + seconds(10);
  while (read.ok() && steady_clock::now() < deadline) {
    read = vm->read_agent();
    std::this_thread::sleep_for(milliseconds(50));
  }
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message(), s.name + ": agent channel closed");
  auto write = vm->write_agent("ping");
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().message(), s.name + ": agent channel closed");
  auto state = vm->state();
  ASSERT_TRUE(state.ok()) << state.error().message();
  EXPECT_EQ(*state, DomainState::kShutoff);
  EXPECT_TRUE(vm->destroy().ok());  // already gone is fine
}

TEST_F(LibvirtBackendTest, InstanceDestructorDestroysTheGuest) {
  VmSpec s = spec("dtor");
  {
    auto started = backend_->start(s);
    ASSERT_TRUE(started.ok()) << started.error().message();
    EXPECT_TRUE(listed(s.name));
  }
  EXPECT_FALSE(listed(s.name));
}

TEST_F(LibvirtBackendTest, StartRejectsBadSpecsWithContext) {
  VmSpec s = spec("bad");
  s.name = "notwedge";
  auto started = backend_->start(s);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message(),
            "starting domain notwedge: domain name 'notwedge' must start with 'wedge-' followed "
            "by an id");

  s = spec("nokernel");
  s.kernel = dir_->path() / "no-such-vmlinuz";
  started = backend_->start(s);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(
      started.error().message(),
      fmt::format("starting domain {}: {}: No such file or directory", s.name, s.kernel.string()));
}

// Nested KVM on these hosts creates guests that never run: the probe must say "no" in time.
// WEDGE_EXPECT_KVM=0/1 turns the printed answer into an assertion.
TEST_F(LibvirtBackendTest, KvmProbeAnswersWithinTimeoutAndCleansUp) {
  auto start = steady_clock::now();
  auto kvm = probe_kvm(*backend_, kernel_, "", dir_->path() / "probe", seconds(8));
  auto took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  ASSERT_TRUE(kvm.ok()) << kvm.error().message();
  std::cout << "probe_kvm: " << (*kvm ? "true" : "false") << " after " << took.count() << " ms\n";
  EXPECT_LT(took, seconds(20));
  if (const char* expect = std::getenv("WEDGE_EXPECT_KVM")) {
    EXPECT_EQ(*kvm, std::string(expect) == "1");
  }
  EXPECT_FALSE(listed(fmt::format("wedge-kvm-probe-{}", ::getpid())));
}

}  // namespace
}  // namespace wedge::vm
