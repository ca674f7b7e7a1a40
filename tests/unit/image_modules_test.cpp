// Unit tests for vm-images/modules: load order on recorded modules.dep lines of Debian's
// 6.1.0-56-cloud-amd64 kernel (expected orders are modprobe --show-depends output).
#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "vm-images/module_set.h"
#include "vm-images/modules.h"

namespace wedge::image {
namespace {

const std::filesystem::path kDir = std::filesystem::path(WEDGE_TESTDATA_DIR) / "modules";

ModuleIndex load_fixture(const char* dep_file = "modules.dep") {
  auto dep = read_file(kDir / dep_file);
  auto builtin = read_file(kDir / "modules.builtin");
  EXPECT_TRUE(dep.ok() && builtin.ok());
  auto index = parse_module_index(*dep, *builtin);
  EXPECT_TRUE(index.ok()) << index.error().message();
  return *index;
}

TEST(Modules, VirtioNetMatchesModprobe) {
  auto order = resolve_load_order(load_fixture(), {"virtio_net"});
  ASSERT_TRUE(order.ok()) << order.error().message();
  EXPECT_EQ(*order, (std::vector<std::string>{
                        "kernel/drivers/virtio/virtio_ring.ko",
                        "kernel/drivers/virtio/virtio.ko",
                        "kernel/net/core/failover.ko",
                        "kernel/drivers/net/net_failover.ko",
                        "kernel/drivers/net/virtio_net.ko",
                    }));
}

TEST(Modules, NfsAndIscsiMatchModprobe) {
  ModuleIndex index = load_fixture();
  auto nfs = resolve_load_order(index, {"nfs"});
  ASSERT_TRUE(nfs.ok()) << nfs.error().message();
  EXPECT_EQ(*nfs, (std::vector<std::string>{
                      "kernel/fs/netfs/netfs.ko",
                      "kernel/fs/fscache/fscache.ko",
                      "kernel/net/sunrpc/sunrpc.ko",
                      "kernel/fs/nfs_common/grace.ko",
                      "kernel/fs/lockd/lockd.ko",
                      "kernel/fs/nfs/nfs.ko",
                  }));
  auto iscsi = resolve_load_order(index, {"iscsi_tcp"});
  ASSERT_TRUE(iscsi.ok()) << iscsi.error().message();
  EXPECT_EQ(*iscsi, (std::vector<std::string>{
                        "kernel/drivers/scsi/scsi_common.ko",
                        "kernel/drivers/scsi/scsi_mod.ko",
                        "kernel/drivers/scsi/scsi_transport_iscsi.ko",
                        "kernel/drivers/scsi/libiscsi.ko",
                        "kernel/drivers/scsi/libiscsi_tcp.ko",
                        "kernel/drivers/scsi/iscsi_tcp.ko",
                    }));
}

TEST(Modules, DefaultBootSetHasNoDuplicatesAndDepsFirst) {
  auto order = resolve_load_order(load_fixture(),
                                  {"virtio_pci", "virtio_console", "virtio_net", "virtio_balloon"});
  ASSERT_TRUE(order.ok()) << order.error().message();
  EXPECT_EQ(*order, (std::vector<std::string>{
                        "kernel/drivers/virtio/virtio_ring.ko",
                        "kernel/drivers/virtio/virtio.ko",
                        "kernel/drivers/virtio/virtio_pci_modern_dev.ko",
                        "kernel/drivers/virtio/virtio_pci_legacy_dev.ko",
                        "kernel/drivers/virtio/virtio_pci.ko",
                        "kernel/drivers/char/virtio_console.ko",
                        "kernel/net/core/failover.ko",
                        "kernel/drivers/net/net_failover.ko",
                        "kernel/drivers/net/virtio_net.ko",
                        "kernel/drivers/virtio/virtio_balloon.ko",
                    }));
}

TEST(Modules, DashAndUnderscoreNameTheSameModule) {
  ModuleIndex index = load_fixture();
  auto dashed = resolve_load_order(index, {"twofish-avx-x86_64"});
  auto underscored = resolve_load_order(index, {"twofish_avx_x86_64"});
  ASSERT_TRUE(dashed.ok()) << dashed.error().message();
  ASSERT_TRUE(underscored.ok());
  EXPECT_EQ(*dashed, *underscored);
  EXPECT_EQ(*dashed, (std::vector<std::string>{
                         "kernel/crypto/twofish_common.ko",
                         "kernel/arch/x86/crypto/twofish-x86_64.ko",
                         "kernel/arch/x86/crypto/twofish-x86_64-3way.ko",
                         "kernel/crypto/cryptd.ko",
                         "kernel/crypto/crypto_simd.ko",
                         "kernel/arch/x86/crypto/twofish-avx-x86_64.ko",
                     }));
  EXPECT_EQ(module_name_from_path("kernel/arch/x86/events/intel/intel-uncore.ko.zst"),
            "intel_uncore");
}

TEST(Modules, BuiltinModulesAreSkipped) {
  ModuleIndex index = load_fixture();
  EXPECT_TRUE(index.builtin.contains("unix"));
  EXPECT_TRUE(index.builtin.contains("amd_uncore"));  // "amd-uncore.ko" in the file
  auto order = resolve_load_order(index, {"unix", "nbd", "amd-uncore"});
  ASSERT_TRUE(order.ok()) << order.error().message();
  EXPECT_EQ(*order, (std::vector<std::string>{"kernel/drivers/block/nbd.ko"}));
}

TEST(Modules, UnknownModuleIsNamed) {
  auto order = resolve_load_order(load_fixture(), {"virtio_net", "no_such_driver"});
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message(), "unknown module 'no_such_driver' (not in modules.dep)");
}

TEST(Modules, MissingDependencyIsNamedWithItsUser) {
  auto index = parse_module_index("kernel/a.ko: kernel/b.ko\n", "");
  ASSERT_TRUE(index.ok());
  auto order = resolve_load_order(*index, {"a"});
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message(), "module 'b' (needed by 'a') is not in modules.dep");
}

TEST(Modules, CycleIsAnError) {
  ModuleIndex index = load_fixture("cycle.dep");
  auto order = resolve_load_order(index, {"alpha"});
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.error().message(), "module dependency cycle: alpha -> gamma -> alpha");
  auto fine = resolve_load_order(index, {"delta"});
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(*fine, (std::vector<std::string>{"kernel/test/delta.ko"}));
}

TEST(Modules, MalformedLineIsReportedWithItsNumber) {
  auto index = parse_module_index("kernel/a.ko:\nkernel/b.ko kernel/a.ko\n", "");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().message(),
            "modules.dep:2: expected 'path: dependencies', got 'kernel/b.ko kernel/a.ko'");
}

TEST(ModuleSet, BootParamsAndExtrasWithoutDuplicates) {
  auto set =
      plan_module_set(load_fixture(), {"virtio_console", "nbd nbds_max=4"}, {"nbd", "virtio_net"});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(format_modules_load("6.1.0-56-cloud-amd64", set->boot),
            "lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio_ring.ko\n"
            "lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/virtio/virtio.ko\n"
            "lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/char/virtio_console.ko\n"
            "lib/modules/6.1.0-56-cloud-amd64/kernel/drivers/block/nbd.ko nbds_max=4\n");
  EXPECT_EQ(set->paths, (std::vector<std::string>{
                            "kernel/drivers/virtio/virtio_ring.ko",
                            "kernel/drivers/virtio/virtio.ko",
                            "kernel/drivers/char/virtio_console.ko",
                            "kernel/drivers/block/nbd.ko",
                            "kernel/net/core/failover.ko",
                            "kernel/drivers/net/net_failover.ko",
                            "kernel/drivers/net/virtio_net.ko",
                        }));
}

// A kernel with nbd and raid1 built in: they carry no file and are named as built in.
TEST(ModuleSet, BuiltInDriversCarryNothing) {
  auto index = parse_module_index("kernel/drivers/net/virtio_net.ko:\n",
                                  "kernel/drivers/block/nbd.ko\nkernel/drivers/md/raid1.ko\n");
  ASSERT_TRUE(index.ok()) << index.error().message();
  auto set =
      plan_module_set(*index, {"virtio_net", "nbd nbds_max=4"}, {"nbd", "raid1", "virtio-net"});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->paths, (std::vector<std::string>{"kernel/drivers/net/virtio_net.ko"}));
  EXPECT_EQ(set->built_in, (std::vector<std::string>{"nbd", "raid1"}));
  EXPECT_TRUE(set->assumed_built_in.empty());
  EXPECT_EQ(format_modules_load("9.9", set->boot),
            "lib/modules/9.9/kernel/drivers/net/virtio_net.ko\n");
  // With modules.builtin there, a name in neither table is missing from the kernel.
  auto missing = plan_module_set(*index, {}, {"xfs"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "unknown module 'xfs' (not in modules.dep)");
}

// A kernel built from a tree without FW_CFG_SYSFS (defconfig has none): qemu_fw_cfg is optional,
// so the image is built without it and says so; a needed module missing is still an error.
TEST(ModuleSet, OptionalModuleTheKernelLacksIsNotedNotAnError) {
  auto index =
      parse_module_index("kernel/drivers/net/virtio_net.ko:\n", "kernel/drivers/block/nbd.ko\n");
  ASSERT_TRUE(index.ok()) << index.error().message();
  auto set = plan_module_set(*index, {"virtio_net", "qemu_fw_cfg"}, {"nbd"});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->absent_optional, (std::vector<std::string>{"qemu_fw_cfg"}));
  EXPECT_EQ(set->paths, (std::vector<std::string>{"kernel/drivers/net/virtio_net.ko"}));
  EXPECT_EQ(set->built_in, (std::vector<std::string>{"nbd"}));
  EXPECT_TRUE(is_optional_module("qemu-fw-cfg"));
  EXPECT_FALSE(is_optional_module("virtio_net"));
  EXPECT_FALSE(plan_module_set(*index, {"virtio_balloon"}, {}).ok());
}

// A module tree shipped without modules.builtin cannot tell built in from missing: a name it
// does not have is taken as built in (the guest checks when it asks for the driver).
TEST(ModuleSet, TreeWithoutModulesBuiltinTakesUnknownNamesAsBuiltIn) {
  auto dir = TempDir::create("wedge-modules-test");
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(
      write_file_atomic(dir->path() / "modules.dep", "kernel/drivers/block/nbd.ko:\n").ok());
  auto without = load_module_index(dir->path());
  ASSERT_TRUE(without.ok()) << without.error().message();
  EXPECT_FALSE(without->builtin_listed);
  auto set = plan_module_set(*without, {"virtio_pci"}, {"nbd", "sd_mod"});
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_EQ(set->paths, (std::vector<std::string>{"kernel/drivers/block/nbd.ko"}));
  EXPECT_EQ(set->assumed_built_in, (std::vector<std::string>{"virtio_pci", "sd_mod"}));
  EXPECT_TRUE(set->boot.empty());

  ASSERT_TRUE(
      write_file_atomic(dir->path() / "modules.builtin", "kernel/drivers/scsi/sd_mod.ko\n").ok());
  auto with = load_module_index(dir->path());
  ASSERT_TRUE(with.ok()) << with.error().message();
  EXPECT_TRUE(with->builtin_listed);
  auto strict = plan_module_set(*with, {"virtio_pci"}, {"nbd", "sd_mod"});
  ASSERT_FALSE(strict.ok());
  EXPECT_EQ(strict.error().message(), "unknown module 'virtio_pci' (not in modules.dep)");
}

}  // namespace
}  // namespace wedge::image
