// Boots real TCG guests through libvirt: console, host-side sysrq (keyboard and serial BREAK),
// vCPU registers, memory dumps, NMIs, balloon, agent channel, kept guests, teardown. Needs
// root, a running libvirtd (qemu:///system), the Debian cloud kernel and `crash`.
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
#include "harness/util/net.h"
#include "harness/util/path_access.h"
#include "harness/util/process.h"
#include "harness/vm/libvirt/kvm_probe.h"
#include "harness/vm/libvirt/qemu_access.h"
#include "tests/integration/proc_identity.h"
#include "vm-images/image.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

// The default Debian kernel, fetched into the tests' image cache on first use.
const image::GuestImage& test_image() {
  static const image::GuestImage image = [] {
    image::ImageRequest r;
    r.cache_dir = WEDGE_TEST_CACHE_DIR;
    r.agent_binary = "/bin/busybox";
    auto img = image::build_image(r);
    return img.ok() ? *img : image::GuestImage{};
  }();
  return image;
}
fs::path test_kernel() { return test_image().kernel; }

// The test kernel's qemu_fw_cfg module (from the unpacked package in the cache): loaded in the
// guest, it hands QEMU the VMCOREINFO note that makes a memory dump identifiable.
fs::path fw_cfg_module() {
  const fs::path root = fs::path(WEDGE_TEST_CACHE_DIR) / "kernels" / test_image().kernel_release;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().filename() == "qemu_fw_cfg.ko") return it->path();
  }
  return {};
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

// An initramfs whose /init is a busybox shell script, plus extra files {guest name, host path}.
Result<fs::path> build_script_initrd(const fs::path& dir, const std::string& name,
                                     const std::string& script,
                                     const std::vector<std::pair<std::string, fs::path>>& files) {
  WEDGE_TRY(std::string busybox, read_file(kBusybox));
  std::string cpio;
  append_newc(cpio, "dev", 040755, "");
  append_newc(cpio, "dev/console", 020600, "", 5, 1);
  append_newc(cpio, "proc", 040755, "");
  append_newc(cpio, "bin", 040755, "");
  append_newc(cpio, "bin/busybox", 0100755, busybox);
  append_newc(cpio, "bin/sh", 0120777, "busybox");
  append_newc(cpio, "init", 0100755, "#!/bin/sh\n" + script);
  for (const auto& [guest_name, host_path] : files) {
    WEDGE_TRY(std::string data, read_file(host_path));
    append_newc(cpio, guest_name, 0100644, data);
  }
  append_newc(cpio, "TRAILER!!!", 0, "");
  fs::path path = dir / (name + ".cpio");
  WEDGE_CHECK(write_file_atomic(path, cpio));
  return path;
}

// Init scripts. The spinning one keeps its only vCPU busy in user mode, never idle.
constexpr const char* kSpinScript =
    "echo wedge-test: spinning\n"
    "while :; do :; done\n";
constexpr const char* kIdleScript =
    "/bin/busybox mount -t proc proc /proc\n"
    "/bin/busybox insmod /qemu_fw_cfg.ko && echo wedge-test: fw_cfg loaded\n"
    "echo wedge-test: idle\n"
    "exec /bin/busybox sleep 1000000\n";

size_t count_of(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
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
    // Reachable by the unprivileged QEMU user, as a run folder must be.
    fs::permissions(dir_->path(), fs::perms(0755));
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

  // Reads the console into console_ until it contains text (at least `times` times) or
  // timeout passes.
  bool wait_for_console(Instance& vm, const std::string& text, milliseconds timeout,
                        size_t times = 1) {
    auto deadline = steady_clock::now() + timeout;
    while (true) {
      auto chunk = vm.read_console();
      EXPECT_TRUE(chunk.ok()) << chunk.error().message();
      if (!chunk.ok()) return false;
      console_ += *chunk;
      if (count_of(console_, text) >= times) return true;
      if (steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  // Sends a sysrq by one route and returns how long until its header reached the console
  // (the header's n-th appearance), or -1 ms when it never did within 20 s.
  template <typename Send>
  milliseconds sysrq_latency(Instance& vm, Send send, const std::string& header) {
    size_t seen = count_of(console_, header);
    auto sent_at = steady_clock::now();
    auto sent = send();
    EXPECT_TRUE(sent.ok()) << sent.error().message();
    if (!sent.ok() || !wait_for_console(vm, header, seconds(20), seen + 1)) return milliseconds(-1);
    return std::chrono::duration_cast<milliseconds>(steady_clock::now() - sent_at);
  }

  std::unique_ptr<LibvirtGuest> start_or_fail(const VmSpec& s) {
    auto started = LibvirtGuest::from(backend_->start(s));
    EXPECT_TRUE(started.ok()) << started.error().message();
    return started.ok() ? std::move(*started) : nullptr;
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
  std::unique_ptr<LibvirtGuest> vm = std::move(*LibvirtGuest::from(std::move(started)));
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
  // QEMU runs as the unprivileged QEMU user, with no capabilities.
  auto qemu_user = find_account(kQemuUserName);
  ASSERT_TRUE(qemu_user.ok()) << qemu_user.error().message();
  test::expect_runs_as(vm->qemu_pid(), qemu_user->uid, "0000000000000000");

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
  std::unique_ptr<LibvirtGuest> vm = std::move(*LibvirtGuest::from(std::move(started)));
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

namespace wedge::vm {
namespace {

TEST_F(LibvirtBackendTest, SerialConsoleLogsFromBootWithoutClientAndAnswersBreakSysrq) {
  VmSpec s = spec("serial");
  auto vm = start_or_fail(s);
  ASSERT_NE(vm, nullptr);
  ASSERT_GT(vm->serial_port(), 0);

  auto xml = run_checked({"virsh", "-c", backend_->uri(), "dumpxml", s.name}, seconds(20));
  ASSERT_TRUE(xml.ok()) << xml.error().message();
  EXPECT_NE(xml->out.find(fmt::format("<source mode='bind' host='127.0.0.1' service='{}'",
                                      vm->serial_port())),
            std::string::npos)
      << xml->out;
  EXPECT_NE(xml->out.find("<protocol type='telnet'/>"), std::string::npos) << xml->out;
  EXPECT_NE(xml->out.find("<vmcoreinfo state='on'/>"), std::string::npos) << xml->out;

  // Nobody has connected to the telnet port yet: the log file alone has the whole boot,
  // from the kernel's first line on.
  ASSERT_TRUE(wait_for_console(*vm, "Run /init as init process", seconds(60))) << console_;
  EXPECT_LT(console_.find("Linux version"), 100u) << console_.substr(0, 400);
  ASSERT_TRUE(wait_for_console(*vm, "ttyS0 at I/O 0x3f8", seconds(5))) << console_;

  for (int round = 0; round < 3; ++round) {  // a fresh connection each time
    auto took = sysrq_latency(
        *vm, [&] { return vm->send_serial_sysrq('h'); }, "sysrq: HELP");
    ASSERT_GE(took.count(), 0) << console_;
    std::cout << "serial sysrq help on the console after " << took.count() << " ms\n";
  }

  // QEMU serves one telnet client at a time: while someone else holds the console, the
  // BREAK cannot get through, and the error says why.
  {
    auto holder = connect_loopback(vm->serial_port(), seconds(2));
    ASSERT_TRUE(holder.ok()) << holder.error().message();
    std::this_thread::sleep_for(milliseconds(200));
    auto busy = vm->send_serial_sysrq('h');
    ASSERT_FALSE(busy.ok());
    EXPECT_NE(busy.error().message().find("another client holds the console?"), std::string::npos)
        << busy.error().message();
  }
  std::this_thread::sleep_for(milliseconds(200));
  auto took = sysrq_latency(
      *vm, [&] { return vm->send_serial_sysrq('h'); }, "sysrq: HELP");
  EXPECT_GE(took.count(), 0) << "serial sysrq after the other client left";
  EXPECT_FALSE(vm->send_serial_sysrq('#').ok());
  EXPECT_TRUE(vm->destroy().ok());
}

TEST_F(LibvirtBackendTest, SpinningGuestShowsHltZeroAndAnswersSerialAndKeyboardSysrq) {
  auto initrd = build_script_initrd(dir_->path(), "spin", kSpinScript, {});
  ASSERT_TRUE(initrd.ok()) << initrd.error().message();
  VmSpec s = spec("spin");
  s.initrd = *initrd;
  // Debian's default sysrq mask (0x1b6) refuses 'l' and 'w' from the keyboard and serial
  // routes ("This sysrq operation is disabled."); wedge's runs enable all of sysrq the same way.
  s.cmdline = "console=ttyS0 loglevel=7 sysctl.kernel.sysrq=1";
  auto vm = start_or_fail(s);
  ASSERT_NE(vm, nullptr);
  ASSERT_TRUE(wait_for_console(*vm, "input: AT Translated Set 2 keyboard", seconds(60)))
      << console_;
  ASSERT_TRUE(wait_for_console(*vm, "wedge-test: spinning", seconds(60))) << console_;
  std::this_thread::sleep_for(milliseconds(500));

  int halted = 0;
  std::string sample;
  for (int i = 0; i < 5; ++i) {
    auto regs = vm->monitor_command("info registers -a");
    ASSERT_TRUE(regs.ok()) << regs.error().message();
    EXPECT_EQ(count_of(*regs, "RIP="), 1u) << *regs;
    EXPECT_EQ(count_of(*regs, "CPU#0"), 1u) << *regs;
    ASSERT_EQ(count_of(*regs, "HLT="), 1u) << *regs;
    halted += count_of(*regs, "HLT=1") > 0 ? 1 : 0;
    if (sample.empty()) sample = regs->substr(0, regs->find("ES ="));
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(halted, 0) << "a spinning vCPU never halts";
  std::cout << "info registers -a on the spinning guest:" << sample;

  auto serial_l = sysrq_latency(
      *vm, [&] { return vm->send_serial_sysrq('l'); }, "sysrq: Show backtrace of all active CPUs");
  auto serial_w = sysrq_latency(
      *vm, [&] { return vm->send_serial_sysrq('w'); }, "sysrq: Show Blocked State");
  auto keyboard_w = sysrq_latency(
      *vm, [&] { return vm->send_sysrq('w'); }, "sysrq: Show Blocked State");
  auto keyboard_l = sysrq_latency(
      *vm, [&] { return vm->send_sysrq('l'); }, "sysrq: Show backtrace of all active CPUs");
  std::cout << "spinning guest, sysrq header on the console after: serial l " << serial_l.count()
            << " ms, serial w " << serial_w.count() << " ms, keyboard w " << keyboard_w.count()
            << " ms, keyboard l " << keyboard_l.count() << " ms\n";
  EXPECT_GE(serial_l.count(), 0) << console_;
  EXPECT_GE(serial_w.count(), 0) << console_;
  // The backtrace of the busy CPU comes by NMI, even while it spins.
  EXPECT_TRUE(wait_for_console(*vm, "NMI backtrace for cpu 0", seconds(10))) << console_;
  EXPECT_GE(keyboard_w.count(), 0) << console_;
  EXPECT_GE(keyboard_l.count(), 0) << console_;
  EXPECT_TRUE(vm->destroy().ok());
}

TEST_F(LibvirtBackendTest, IdleGuestHaltsDumpsAnalysableMemoryAndReportsAnNmi) {
  fs::path module = fw_cfg_module();
  ASSERT_FALSE(module.empty()) << "qemu_fw_cfg.ko not found in the kernel cache";
  auto initrd =
      build_script_initrd(dir_->path(), "idle", kIdleScript, {{"qemu_fw_cfg.ko", module}});
  ASSERT_TRUE(initrd.ok()) << initrd.error().message();
  VmSpec s = spec("idle");
  s.initrd = *initrd;
  s.vcpus = 2;
  auto vm = start_or_fail(s);
  ASSERT_NE(vm, nullptr);
  ASSERT_TRUE(wait_for_console(*vm, "wedge-test: fw_cfg loaded", seconds(90))) << console_;
  ASSERT_TRUE(wait_for_console(*vm, "wedge-test: idle", seconds(10))) << console_;

  // An idle guest's vCPUs wait in HLT most of the time: one of a few looks must catch it.
  int halted = 0;
  std::string sample;
  for (int i = 0; i < 10 && halted == 0; ++i) {
    auto regs = vm->monitor_command("info registers -a");
    ASSERT_TRUE(regs.ok()) << regs.error().message();
    EXPECT_EQ(count_of(*regs, "CPU#0"), 1u) << *regs;
    EXPECT_EQ(count_of(*regs, "CPU#1"), 1u) << *regs;
    EXPECT_EQ(count_of(*regs, "RIP="), 2u) << *regs;
    ASSERT_EQ(count_of(*regs, "HLT="), 2u) << *regs;
    halted += static_cast<int>(count_of(*regs, "HLT=1"));
    sample = *regs;
    std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_GT(halted, 0) << sample;
  std::string rip_lines;
  for (size_t pos = sample.find("RIP="); pos != std::string::npos;
       pos = sample.find("RIP=", pos + 1)) {
    rip_lines += "  " + sample.substr(pos, sample.find('\n', pos) - pos) + "\n";
  }
  std::cout << "info registers -a on the idle guest:\n" << rip_lines;

  fs::path dump = dir_->path() / "traces" / "vmcore";
  auto dump_start = steady_clock::now();
  auto dumped = vm->dump_memory(dump);
  auto dump_took = std::chrono::duration_cast<milliseconds>(steady_clock::now() - dump_start);
  ASSERT_TRUE(dumped.ok()) << dumped.error().message();
  EXPECT_LT(dump_took, seconds(20));
  auto bytes = read_file(dump);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message();
  EXPECT_TRUE(bytes->starts_with("KDUMP   ")) << bytes->substr(0, 16);
  EXPECT_GT(bytes->size(), 1u << 20);
  EXPECT_LT(bytes->size(), size_t{256} << 20);
  EXPECT_FALSE(fs::exists(dump.string() + ".flat"));
  std::cout << "kdump-zlib dump of a 256 MiB guest: " << bytes->size() << " bytes in "
            << dump_took.count() << " ms\n";
  // With the VMCOREINFO note in the dump, crash names the kernel without its vmlinux.
  auto crash = run_checked({"crash", "--osrelease", dump.string()}, seconds(30));
  ASSERT_TRUE(crash.ok()) << crash.error().message() << " (ci/setup.sh installs crash)";
  EXPECT_EQ(crash->out, test_image().kernel_release + "\n");
  auto state = vm->state();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, DomainState::kRunning);  // the dump paused the guest only meanwhile

  auto nmi = vm->inject_nmi();
  ASSERT_TRUE(nmi.ok()) << nmi.error().message();
  EXPECT_TRUE(wait_for_console(*vm, "Uhhuh. NMI received for unknown reason", seconds(10)))
      << console_;
  EXPECT_TRUE(wait_for_console(*vm, "Dazed and confused, but trying to continue", seconds(5)))
      << console_;
  EXPECT_TRUE(vm->destroy().ok());
}

// Guests are never tied to the connection that started them (they must survive a libvirtd
// restart): a released one outlives its Instance and connection, marked kept for `wedge gc`,
// until destroyed; the owner stays in the metadata either way.
TEST_F(LibvirtBackendTest, ReleasedGuestOutlivesItsInstanceAndConnectionMarkedKept) {
  VmSpec kept = spec("kept");
  kept.keep_after_exit = true;
  kept.owner = "pid=1 start=2 boot=x";
  VmSpec plain = spec("plain");
  plain.owner = "pid=3 start=4 boot=y";
  auto metadata_of = [&](const std::string& name) -> WedgeDomain {
    auto domains = backend_->wedge_domains();
    EXPECT_TRUE(domains.ok());
    for (const auto& d : *domains) {
      if (d.name == name) return d;
    }
    return {};
  };
  {
    auto other = LibvirtBackend::connect();
    ASSERT_TRUE(other.ok()) << other.error().message();
    auto kept_vm = LibvirtGuest::from((*other)->start(kept));
    ASSERT_TRUE(kept_vm.ok()) << kept_vm.error().message();
    auto plain_vm = (*other)->start(plain);
    ASSERT_TRUE(plain_vm.ok()) << plain_vm.error().message();
    EXPECT_EQ(metadata_of(plain.name).owner, plain.owner);
    EXPECT_FALSE(metadata_of(plain.name).kept);
    (*kept_vm)->release();
    EXPECT_TRUE((*kept_vm)->destroy().ok());  // does nothing once released
    EXPECT_TRUE(listed(kept.name));
  }  // instances, then the connection they shared, are gone: the plain one was destroyed
  EXPECT_FALSE(listed(plain.name));
  std::this_thread::sleep_for(seconds(1));
  ASSERT_TRUE(listed(kept.name));
  WedgeDomain d = metadata_of(kept.name);
  EXPECT_EQ(d.owner, kept.owner);
  EXPECT_TRUE(d.kept);
  EXPECT_TRUE(d.active);

  auto destroyed = backend_->destroy_domain(kept.name);
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().message();
  EXPECT_FALSE(listed(kept.name));
  EXPECT_TRUE(backend_->destroy_domain(kept.name).ok());  // already gone is fine
}

}  // namespace
}  // namespace wedge::vm
