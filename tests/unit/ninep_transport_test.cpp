// Unit tests for transport = "9p": its load-time checks (fs only, not on the cloud kernel,
// guest faults only), and what it does on the host and in a scripted guest (the shared
// folder in the run dir, the VmSpec's <filesystem>, the modprobe and mount commands).
#include <gtest/gtest.h>

#include <map>

#include "harness/config/load_scenario.h"
#include "harness/storage/driver.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "tests/unit/scripted_guest.h"

namespace wedge::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kNinep = R"([guest]
kernel = "debian-amd64"
[storage]
transport = "9p"
use = "fs"
)";

std::string check(const std::string& text) {
  auto s = config::parse_scenario(text, "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

// Debian's generic flavour: 9p as modules, unless a test takes the module tree away.
const std::map<std::string, std::string> kGenericKernel = {
    {"/proc/sys/kernel/osrelease", "6.1.0-57-amd64\n"},
    {"/proc/modules", "virtio_net 61440 0 - Live 0x0\n"},
    {"/lib/modules/6.1.0-57-amd64/modules.dep",
     "kernel/net/9p/9pnet.ko:\n"
     "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko\n"
     "kernel/fs/9p/9p.ko: kernel/fs/netfs/netfs.ko kernel/net/9p/9pnet.ko\n"}};

TEST(NinepTransport, LoadsForFsOnTheGenericKernelWithGuestFaults) {
  EXPECT_EQ(check(std::string(kNinep)), "(loaded)");
  EXPECT_EQ(
      check(std::string(kNinep) + "[[fault]]\nkind = \"memory-max\"\nat_s = 1\nduration_s = 5\n"
                                  "memory_max_mib = 64\n"),
      "(loaded)");
  EXPECT_EQ(check(std::string(kNinep) +
                  "[[fault]]\nkind = \"balloon\"\nat_s = 1\nduration_s = 5\nballoon_mib = 64\n"),
            "(loaded)");
}

TEST(NinepTransport, RejectsSwapWithFileLineAndReason) {
  EXPECT_EQ(check("[guest]\nkernel = \"debian-amd64\"\n[storage]\ntransport = \"9p\"\n"),
            "t.toml:3: [storage] use = \"swap\": transport = \"9p\" cannot hold swap (9p files "
            "have no block mapping for the swap code, so swapon refuses them); use \"fs\"");
}

TEST(NinepTransport, RejectsTheCloudKernelNamingTheFlavourThatHas9p) {
  EXPECT_EQ(check("\n[storage]\ntransport = \"9p\"\nuse = \"fs\"\n"),
            "t.toml:2: [storage] transport = \"9p\" needs a kernel with 9p, and the default "
            "Debian cloud kernel has none (CONFIG_NET_9P unset): set [guest] kernel = "
            "\"debian-amd64\" (or a bzImage built with CONFIG_9P_FS and CONFIG_NET_9P_VIRTIO)");
}

TEST(NinepTransport, RejectsFaultsThatNeedAHostServer) {
  EXPECT_EQ(check(std::string(kNinep) + "[[fault]]\nkind = \"server-stall\"\nat_s = 1\n"
                                        "duration_s = 5\n"),
            "t.toml:6: [[fault]] kind = \"server-stall\" via = \"signal\" needs a storage server "
            "process on the host; transport = \"9p\" has none");
  EXPECT_EQ(check(std::string(kNinep) + "[[fault]]\nkind = \"delay\"\nat_s = 1\n"
                                        "duration_s = 5\ndelay_ms = 50\n"),
            "t.toml:6: [[fault]] kind = \"delay\" needs wedge's TCP relay in front of a host "
            "server; transport = \"9p\" has none");
}

TEST(NinepTransport, SharesARunDirFolderAndMountsItWithTheScenarioOptions) {
  auto s =
      config::parse_scenario(std::string(kNinep) + "mount_options = \"cache=loose\"\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto t = make_transport(*s);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(module_names(t->image_needs().drivers),
            (std::vector<std::string>{"9pnet_virtio", "9p"}));
  EXPECT_TRUE(t->image_needs().tools.empty());
  EXPECT_EQ(t->describe(), "9p (virtio, no server)");

  auto dir = TempDir::create("ninep-test");
  ASSERT_TRUE(dir.ok());
  TransportContext context{&*s, dir->path(), {}};
  ASSERT_TRUE(t->start_host(context).ok());
  EXPECT_TRUE(fs::is_directory(dir->path() / "9p-share"));
  EXPECT_TRUE(t->servers().empty());

  vm::VmSpec spec;
  t->adjust_vm(spec);
  ASSERT_EQ(spec.shared_folders.size(), 1u);
  EXPECT_EQ(spec.shared_folders[0].host_dir, fs::absolute(dir->path() / "9p-share"));
  EXPECT_EQ(spec.shared_folders[0].tag, "wedge");
  EXPECT_TRUE(spec.disks.empty());

  ScriptedGuest guest(kGenericKernel);
  auto attached = t->attach(guest);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->device, "");
  EXPECT_EQ(attached->mount_point, "/mnt/wedge");
  EXPECT_EQ(guest.commands,
            (std::vector<std::vector<std::string>>{
                {"/bin/busybox", "modprobe", "9pnet_virtio"},
                {"/bin/busybox", "modprobe", "9p"},
                {"/bin/busybox", "mkdir", "-p", "/mnt/wedge"},
                {"/bin/busybox", "mount", "-t", "9p", "-o",
                 "trans=virtio,version=9p2000.L,cache=loose", "wedge", "/mnt/wedge"}}));
  EXPECT_TRUE(t->stop().ok());
  EXPECT_TRUE(t->stop().ok());
}

// A kernel with 9p built in and no module tree in the image: nothing to modprobe, the mount
// goes ahead once the guest shows both drivers.
TEST(NinepTransport, BuiltIn9pIsSeenAndNotLoaded) {
  auto s = config::parse_scenario(std::string(kNinep), "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto t = make_transport(*s);
  ASSERT_NE(t, nullptr);
  ScriptedGuest guest(kGenericKernel);
  guest.files.erase("/lib/modules/6.1.0-57-amd64/modules.dep");
  guest.folders["/sys/module"] = "printk\nvirtio_net\n";
  guest.folders["/sys/bus/virtio/drivers"] = "9pnet_virtio\nvirtio_net\n";
  guest.files["/proc/filesystems"] = "nodev\tsysfs\nnodev\t9p\n";
  auto attached = t->attach(guest);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(guest.commands, (std::vector<std::vector<std::string>>{
                                {"/bin/busybox", "ls", "-1", "/sys/module"},
                                {"/bin/busybox", "ls", "-1", "/sys/bus/virtio/drivers"},
                                {"/bin/busybox", "ls", "-1", "/sys/module"},
                                {"/bin/busybox", "mkdir", "-p", "/mnt/wedge"},
                                {"/bin/busybox", "mount", "-t", "9p", "-o",
                                 "trans=virtio,version=9p2000.L", "wedge", "/mnt/wedge"}}));

  // Without 9p in /proc/filesystems, the error says what was looked at and what to build in.
  ScriptedGuest without(kGenericKernel);
  without.files.erase("/lib/modules/6.1.0-57-amd64/modules.dep");
  without.folders = guest.folders;
  without.files["/proc/filesystems"] = "nodev\tsysfs\n";
  auto missing = t->attach(without);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(),
            "loading 9p (the kernel needs CONFIG_NET_9P_VIRTIO and CONFIG_9P_FS): driver 9p is "
            "not in kernel 6.1.0-57-amd64: not built in (no "
            "/lib/modules/6.1.0-57-amd64/modules.builtin; no /sys/module/9p; no \"9p\" in "
            "/proc/filesystems), and no module to load: the image has no module tree "
            "(/lib/modules/6.1.0-57-amd64 is missing): give --modules the kernel's "
            "INSTALL_MOD_PATH, or build the driver in");
}

}  // namespace
}  // namespace wedge::storage
