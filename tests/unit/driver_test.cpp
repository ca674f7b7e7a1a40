// Unit tests for a transport asking for a driver, not for modprobe: the loaded / built-in /
// loadable / missing decision over what the guest shows, the kernel command line of built-in
// drivers' parameters, and ensure_driver over a scripted guest (what it reads, what it runs).
#include "harness/storage/driver.h"

#include <gtest/gtest.h>

#include <map>

#include "harness/storage/guest_driver.h"
#include "tests/unit/scripted_guest.h"

namespace wedge::storage {
namespace {

using Argv = std::vector<std::string>;

constexpr const char* kRelease = "6.1.192-wedge";
const Driver kNbd{"nbd", {"nbds_max=4"}, {{"/proc/devices", "nbd"}}};
const Driver kSdMod{"sd_mod", {}, {{"/proc/devices", "sd"}}};

GuestModuleFacts facts_with_tree() {
  GuestModuleFacts f;
  f.release = kRelease;
  f.loaded = std::set<std::string>{"virtio_net", "failover"};
  f.builtin = std::set<std::string>{"ext4", "unix"};
  f.loadable = std::set<std::string>{"nbd", "virtio_net", "failover", "sd_mod"};
  return f;
}

// A kernel with nothing as a module and no module tree in the image (no --modules).
GuestModuleFacts facts_without_tree() {
  GuestModuleFacts f;
  f.release = kRelease;
  f.loaded = std::set<std::string>{};
  f.shown["/sys/module"] = {"printk", "nbd", "iscsi_tcp"};
  f.shown["/proc/devices"] = {"devices:", "mem", "sd", "virtblk"};
  return f;
}

TEST(DecideDriver, LoadableModuleFromModulesDep) {
  auto d = decide_driver(kNbd, facts_with_tree());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kLoadable);
  EXPECT_EQ(d->evidence, "/lib/modules/6.1.192-wedge/modules.dep");
}

TEST(DecideDriver, AlreadyLoadedWinsOverLoadable) {
  GuestModuleFacts f = facts_with_tree();
  f.loaded->insert("nbd");
  auto d = decide_driver(kNbd, f);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kLoaded);
  EXPECT_EQ(d->evidence, "/proc/modules");
}

TEST(DecideDriver, BuiltInViaModulesBuiltin) {
  GuestModuleFacts f = facts_with_tree();
  f.loadable->erase("nbd");
  f.builtin->insert("nbd");
  auto d = decide_driver(kNbd, f);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kBuiltIn);
  EXPECT_EQ(d->evidence, "/lib/modules/6.1.192-wedge/modules.builtin");
}

TEST(DecideDriver, BuiltInViaSysModuleOnly) {
  auto d = decide_driver(kNbd, facts_without_tree());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kBuiltIn);
  EXPECT_EQ(d->evidence, "/sys/module/nbd");
  // A dash in the declared name is the same module.
  auto dashed = decide_driver({"iscsi-tcp"}, facts_without_tree());
  ASSERT_TRUE(dashed.ok()) << dashed.error().message();
  EXPECT_EQ(dashed->evidence, "/sys/module/iscsi_tcp");
}

TEST(DecideDriver, BuiltInWithoutParametersViaItsSign) {
  auto d = decide_driver(kSdMod, facts_without_tree());
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kBuiltIn);
  EXPECT_EQ(d->evidence, "\"sd\" in /proc/devices");
}

TEST(DecideDriver, KernelWithoutModuleSupportStillHasItsBuiltIns) {
  GuestModuleFacts f = facts_without_tree();
  f.loaded.reset();
  auto d = decide_driver(kNbd, f);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_EQ(d->state, DriverState::kBuiltIn);
  auto raid = decide_driver({"raid1"}, f);
  ASSERT_FALSE(raid.ok());
  EXPECT_EQ(raid.error().message(),
            "driver raid1 is not in kernel 6.1.192-wedge: not built in (no "
            "/lib/modules/6.1.192-wedge/modules.builtin; no /sys/module/raid1), and no module to "
            "load: the kernel has no module support (no /proc/modules)");
}

TEST(DecideDriver, MissingWithNoModuleTreeSaysWhatWasLookedAt) {
  auto d = decide_driver({"9p", {}, {{"/proc/filesystems", "9p"}}}, facts_without_tree());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "driver 9p is not in kernel 6.1.192-wedge: not built in (no "
            "/lib/modules/6.1.192-wedge/modules.builtin; no /sys/module/9p; /proc/filesystems "
            "unreadable), and no module to load: the image has no module tree "
            "(/lib/modules/6.1.192-wedge is missing): give --modules the kernel's "
            "INSTALL_MOD_PATH, or build the driver in");
}

TEST(DecideDriver, MissingFromATreeNamesModulesDep) {
  GuestModuleFacts f = facts_with_tree();
  f.shown["/sys/module"] = {"printk"};
  f.shown["/proc/filesystems"] = {"ext4", "proc"};
  auto d = decide_driver({"xfs", {}, {{"/proc/filesystems", "xfs"}}}, f);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(),
            "driver xfs is not in kernel 6.1.192-wedge: not built in (not in "
            "/lib/modules/6.1.192-wedge/modules.builtin; no /sys/module/xfs; no \"xfs\" in "
            "/proc/filesystems), and no module to load: "
            "/lib/modules/6.1.192-wedge/modules.dep has no module xfs");
}

TEST(GuestTables, ProcModulesAndLastWords) {
  EXPECT_EQ(parse_proc_modules("nbd 53248 0 - Live 0x0000000000000000\n"
                               "virtio_net 61440 0 - Live 0x0000000000000000\n"
                               "intel-uncore 1 0 - Live 0x0\n"),
            (std::set<std::string>{"intel_uncore", "nbd", "virtio_net"}));
  // /proc/filesystems, /proc/devices and `ls -1` all end their lines with the name.
  EXPECT_EQ(last_words("nodev\tsysfs\nnodev\t9p\n\text4\n"),
            (std::set<std::string>{"9p", "ext4", "sysfs"}));
  EXPECT_EQ(last_words("Block devices:\n  8 sd\n 43 nbd\n254 virtblk\n\n"),
            (std::set<std::string>{"devices:", "nbd", "sd", "virtblk"}));
  EXPECT_EQ(last_words("nbd\nprintk\n"), (std::set<std::string>{"nbd", "printk"}));
}

TEST(DriverCmdline, ModuleDotParamForEveryParameter) {
  EXPECT_EQ(driver_cmdline({kNbd, {"raid1"}, {"iscsi-tcp", {"max_lun=2", "debug_iscsi_tcp=1"}}}),
            "nbd.nbds_max=4 iscsi_tcp.max_lun=2 iscsi_tcp.debug_iscsi_tcp=1");
  EXPECT_EQ(driver_cmdline({{"raid1"}, kSdMod}), "");
  EXPECT_EQ(modprobe_argv(kNbd), (Argv{"/bin/busybox", "modprobe", "nbd", "nbds_max=4"}));
  EXPECT_EQ(modprobe_argv({"iscsi-tcp"}), (Argv{"/bin/busybox", "modprobe", "iscsi_tcp"}));
}

// Debian's kernel release as wedge builds it, with no module loaded yet.
const std::map<std::string, std::string> kFreshKernel = {
    {"/proc/sys/kernel/osrelease", "6.1.192-wedge\n"}, {"/proc/modules", ""}};

constexpr const char* kTree = "/lib/modules/6.1.192-wedge";

TEST(EnsureDriver, ModuleInTheTreeIsLoadedWithItsParameters) {
  ScriptedGuest guest(kFreshKernel);
  guest.files[std::string(kTree) + "/modules.dep"] = "kernel/drivers/block/nbd.ko:\n";
  guest.files[std::string(kTree) + "/modules.builtin"] = "kernel/fs/ext4/ext4.ko\n";
  ASSERT_TRUE(ensure_driver(guest, kNbd).ok());
  EXPECT_EQ(guest.commands, (std::vector<Argv>{{"/bin/busybox", "modprobe", "nbd", "nbds_max=4"}}));
}

TEST(EnsureDriver, BuiltInPerModulesBuiltinRunsNothing) {
  ScriptedGuest guest(kFreshKernel);
  guest.files[std::string(kTree) + "/modules.dep"] = "";
  guest.files[std::string(kTree) + "/modules.builtin"] = "kernel/drivers/block/nbd.ko\n";
  ASSERT_TRUE(ensure_driver(guest, kNbd).ok());
  EXPECT_TRUE(guest.commands.empty());
  ASSERT_EQ(guest.said.size(), 1u);
  EXPECT_EQ(guest.said[0],
            "guest: nbd is built in (/lib/modules/6.1.192-wedge/modules.builtin); its parameters "
            "came on the kernel command line");
}

TEST(EnsureDriver, AlreadyLoadedRunsNothing) {
  ScriptedGuest guest(kFreshKernel);
  guest.files["/proc/modules"] = "nbd 53248 2 - Live 0x0000000000000000\n";
  guest.files[std::string(kTree) + "/modules.dep"] = "kernel/drivers/block/nbd.ko:\n";
  ASSERT_TRUE(ensure_driver(guest, kNbd).ok());
  EXPECT_TRUE(guest.commands.empty());
}

TEST(EnsureDriver, NoModuleTreeLooksInSysModuleThenTheSigns) {
  ScriptedGuest guest(kFreshKernel);
  guest.folders["/sys/module"] = "printk\nnbd\n";
  ASSERT_TRUE(ensure_driver(guest, kNbd).ok());
  EXPECT_EQ(guest.commands, (std::vector<Argv>{{"/bin/busybox", "ls", "-1", "/sys/module"}}));

  guest.commands.clear();
  guest.files["/proc/devices"] = "Block devices:\n  8 sd\n";
  ASSERT_TRUE(ensure_driver(guest, kSdMod).ok());
  EXPECT_EQ(guest.commands, (std::vector<Argv>{{"/bin/busybox", "ls", "-1", "/sys/module"}}));

  auto missing = ensure_driver(guest, {"raid1"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("driver raid1 is not in kernel 6.1.192-wedge"),
            std::string::npos)
      << missing.error().message();
  for (const Argv& argv : guest.commands) EXPECT_NE(argv[1], "modprobe");
}

}  // namespace
}  // namespace wedge::storage
