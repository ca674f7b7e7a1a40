// Unit tests for transport = "nfs-loopback": its registry entry, the load-time checks it
// makes (no host server to name or replace, no block device, no mirror, no server faults),
// what its image needs, and its attach through a recording guest (the swap file written on
// the server's ext4 before the export, the mount from 127.0.0.1).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/config/load_scenario.h"
#include "harness/kernel/fragments.h"
#include "harness/storage/transport_registry.h"
#include "tests/unit/knfsd_guest.h"

namespace wedge::storage {
namespace {

using config::TransportKind;

std::string check(std::string_view storage, std::string_view rest = "") {
  auto s = config::parse_scenario(
      fmt::format("[storage]\ntransport = \"nfs-loopback\"\n{}\n{}", storage, rest), "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

TEST(NfsLoopbackEntry, IsAFileTransportServedByTheGuestsOwnKnfsd) {
  EXPECT_EQ(config::parse_transport("nfs-loopback"), TransportKind::kNfsLoopback);
  EXPECT_STREQ(config::name_of(TransportKind::kNfsLoopback), "nfs-loopback");
  const TransportEntry& entry = transport_entry(TransportKind::kNfsLoopback);
  EXPECT_EQ(entry.kind, TransportKind::kNfsLoopback);
  EXPECT_TRUE(entry.file_transport);
  EXPECT_FALSE(entry.mirrors);
  EXPECT_EQ(entry.servers, (std::vector<std::string>{"knfsd"}));
  EXPECT_TRUE(entry.capabilities(config::StorageConfig{}).empty());
  ASSERT_NE(entry.kconfig_fragment, nullptr);
  EXPECT_STREQ(entry.kconfig_fragment, "nfsd");
  auto names = kernel::wanted_fragment_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "nfsd"), names.end());
  auto fragments = kernel::load_fragments(kernel::fragment_dir(), {"nfsd"});
  ASSERT_TRUE(fragments.ok()) << fragments.error().message();
  EXPECT_EQ((*fragments)[0].value_of("NFSD"), "m");
  EXPECT_EQ((*fragments)[0].value_of("NFSD_V4"), "y");
  EXPECT_EQ((*fragments)[0].value_of("NFS_SWAP"), "y");
}

TEST(NfsLoopbackChecks, RefusesAServerToNameOrReplace) {
  EXPECT_EQ(check("use = \"swap\""), "(loaded)");
  EXPECT_EQ(check("server = \"knfsd\""), "(loaded)");
  EXPECT_EQ(check("server = \"nfs-ganesha\""),
            "t.toml:1: [storage] server = \"nfs-ganesha\": transport = \"nfs-loopback\" is "
            "served by \"knfsd\" (write server = \"knfsd\" or leave it out)");
  EXPECT_EQ(check("server_binary = \"/usr/sbin/rpc.nfsd\""),
            "t.toml:1: [storage] transport = \"nfs-loopback\" runs the guest's own kernel NFS "
            "server (knfsd): server_binary must be unset");
  EXPECT_EQ(check("server_io_flusher = true"),
            "t.toml:3: [storage] server_io_flusher applies to the nbd-server inside the guest "
            "(transport = \"nbd-loopback\") only");
}

TEST(NfsLoopbackChecks, HasNoDeviceNoMirrorAndNoHostServerFaults) {
  EXPECT_EQ(check("use = \"device\""),
            "t.toml:1: [storage] use = \"device\": transport = \"nfs-loopback\" shares files, it "
            "has no block device (use \"fs\" or \"swap\")");
  EXPECT_EQ(check("raid1 = true"),
            "t.toml:1: [storage] raid1 = true needs a block transport served from the host (nbd "
            "or iscsi), not \"nfs-loopback\"");
  EXPECT_EQ(check("", "[[fault]]\nkind = \"server-stall\"\nat_s = 1\nduration_s = 5\n"),
            "t.toml:4: [[fault]] kind = \"server-stall\" via = \"signal\" needs a storage server "
            "process on the host; transport = \"nfs-loopback\" has none");
  EXPECT_EQ(
      check("", "[[fault]]\nkind = \"balloon\"\nat_s = 1\nduration_s = 5\nballoon_mib = 64\n"),
      "(loaded)");
}

TEST(NfsLoopbackImage, CarriesMke2fsTheDiskExt4NfsdAndTheClient) {
  auto s = config::parse_scenario("[storage]\ntransport = \"nfs-loopback\"\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ImageNeeds needs = make_transport(*s)->image_needs();
  EXPECT_EQ(needs.tools, (std::vector<std::string>{"mke2fs"}));
  EXPECT_EQ(module_names(needs.drivers),
            (std::vector<std::string>{"virtio_blk", "ext4", "nfsd", "nfsv4"}));
  EXPECT_EQ(driver_cmdline(needs.drivers), "");
}

// use = "swap": the swap file is written on the server's ext4 before nfsd starts, and the
// runner is handed its path through the mount.
TEST(NfsLoopbackAttach, WritesTheSwapFileLocallyBeforeTheExportThenMountsFromLoopback) {
  auto s = config::parse_scenario(
      "[storage]\ntransport = \"nfs-loopback\"\nuse = \"swap\"\nsize_mib = 300\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto t = make_transport(*s);
  KnfsdGuest guest;
  auto attached = t->attach(guest);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->device, "");
  EXPECT_EQ(attached->mount_point, "/mnt/wedge");
  EXPECT_EQ(attached->swap_file, "/mnt/wedge/swapfile");
  const std::vector<std::string> dd = {"/bin/busybox",         "dd",         "if=/dev/zero",
                                       "of=/srv/nfs/swapfile", "bs=1048576", "count=300"};
  EXPECT_NE(std::find(guest.commands.begin(), guest.commands.end(), dd), guest.commands.end());
  auto at = [&](const std::string& event) {
    return std::find(guest.events.begin(), guest.events.end(), event) - guest.events.begin();
  };
  EXPECT_LT(at("dd"), at("/proc/fs/nfsd/threads"));
  EXPECT_LT(at("sync"), at("/proc/net/rpc/nfsd.export/channel"));
  ASSERT_FALSE(guest.commands.empty());
  const std::vector<std::string>& mount = guest.commands.back();
  ASSERT_EQ(mount.size(), 8u);
  EXPECT_EQ(mount[3], "nfs4");
  EXPECT_EQ(mount[4], "-o");
  EXPECT_EQ(mount[5].rfind("vers=4.1,proto=tcp,port=2049,addr=127.0.0.1,", 0), 0u) << mount[5];
  EXPECT_EQ(mount[6], "127.0.0.1:/");
  EXPECT_EQ(mount[7], "/mnt/wedge");
}

// use = "fs": no swap file; the workload writes its files through the mount.
TEST(NfsLoopbackAttach, FsWritesNoSwapFile) {
  auto s = config::parse_scenario(
      "[storage]\ntransport = \"nfs-loopback\"\nuse = \"fs\"\nmount_options = \"sync\"\n",
      "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  KnfsdGuest guest;
  auto attached = make_transport(*s)->attach(guest);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->swap_file, "");
  EXPECT_EQ(std::find(guest.events.begin(), guest.events.end(), "dd"), guest.events.end());
  EXPECT_TRUE(guest.commands.back()[5].ends_with(",sync")) << guest.commands.back()[5];
}

}  // namespace
}  // namespace wedge::storage
