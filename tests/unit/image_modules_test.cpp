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

}  // namespace
}  // namespace wedge::image
