// Unit tests for the transport registry: every TransportKind has an entry of its own kind, and
// each transport rejects, at load time with file:line, the faults and settings it cannot do.
#include "harness/storage/transport_registry.h"

#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/storage/guest_use.h"

namespace wedge::storage {
namespace {

using config::FaultKind;
using config::TransportKind;

// parse_scenario, then the storage checks; "(loaded)" when both pass.
std::string check(std::string_view text) {
  auto s = config::parse_scenario(text, "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

std::string with_fault(std::string_view storage, std::string_view fault) {
  return check(fmt::format("[storage]\n{}\n[[fault]]\n{}\nat_s = 1\n", storage, fault));
}

TEST(TransportRegistry, CoversEveryKind) {
  for (TransportKind kind : config::kTransportKinds) {
    const TransportEntry& entry = transport_entry(kind);
    EXPECT_EQ(entry.kind, kind) << config::name_of(kind);
    EXPECT_NE(entry.capabilities, nullptr) << config::name_of(kind);
    EXPECT_NE(entry.make, nullptr) << config::name_of(kind);
  }
}

TEST(TransportRegistry, NbdServerTakesRelayAndSignalFaultsButNoNbdkitFilters) {
  EXPECT_EQ(with_fault("", "kind = \"server-stall\"\nduration_s = 5"), "(loaded)");
  EXPECT_EQ(with_fault("", "kind = \"delay\"\nduration_s = 5\ndelay_ms = 9"), "(loaded)");
  EXPECT_EQ(with_fault("", "kind = \"error\"\nduration_s = 5\nerror_rate = 1"),
            "t.toml:3: [[fault]] kind = \"error\" needs an nbdkit filter ([storage] server = "
            "\"nbdkit\"); transport = \"nbd\" with server = \"nbd-server\" has none");
  EXPECT_EQ(with_fault("", "kind = \"server-stall\"\nvia = \"pause\"\nduration_s = 5"),
            "t.toml:3: [[fault]] kind = \"server-stall\" via = \"pause\" needs an nbdkit filter "
            "([storage] server = \"nbdkit\"); transport = \"nbd\" with server = \"nbd-server\" has "
            "none");
  EXPECT_EQ(with_fault("server = \"nbdkit\"", "kind = \"error\"\nduration_s = 5\nerror_rate = 1"),
            "(loaded)");
  EXPECT_EQ(
      check("[storage]\nserver = \"tgtd\"\n"),
      "t.toml:1: [storage] server = \"tgtd\": transport = \"nbd\" is served by \"nbd-server\" "
      "or \"nbdkit\"");
}

TEST(TransportRegistry, LoopbackNbdTakesOnlyGuestFaults) {
  EXPECT_EQ(check("[storage]\ntransport = \"nbd-loopback\"\n"), "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"nbd-loopback\"\nserver = \"nbdkit\"\n"),
            "t.toml:1: [storage] server = \"nbdkit\": transport = \"nbd-loopback\" is served by "
            "\"nbd-server\" (write server = \"nbd-server\" or leave it out)");
  EXPECT_EQ(check("[storage]\ntransport = \"nbd-loopback\"\nserver_binary = \"/x/nbd-server\"\n"),
            "t.toml:1: [storage] transport = \"nbd-loopback\" runs nbd-server inside the guest: "
            "server_binary must be unset");
  EXPECT_EQ(with_fault("transport = \"nbd-loopback\"", "kind = \"server-stall\"\nduration_s = 5"),
            "t.toml:3: [[fault]] kind = \"server-stall\" via = \"signal\" needs a storage server "
            "process on the host; transport = \"nbd-loopback\" has none");
  EXPECT_EQ(with_fault("transport = \"nbd-loopback\"",
                       "kind = \"balloon\"\nduration_s = 5\nballoon_mib = 128"),
            "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"nbd-loopback\"\nraid1 = true\n"),
            "t.toml:1: [storage] raid1 = true needs a block transport served from the host (nbd "
            "or iscsi), not \"nbd-loopback\"");
}

TEST(TransportRegistry, FileTransportsHaveNoDevice) {
  for (const char* t : {"nfs", "9p"}) {
    EXPECT_EQ(
        check(fmt::format("[storage]\ntransport = \"{}\"\nuse = \"device\"\n", t)),
        fmt::format("t.toml:1: [storage] use = \"device\": transport = \"{}\" shares files, it "
                    "has no block device (use \"fs\" or \"swap\")",
                    t));
  }
}

TEST(TransportRegistry, Raid1MakesOneServerPerLeg) {
  auto s = config::parse_scenario("[storage]\nraid1 = true\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_TRUE(check_storage(*s).ok());
  auto t = make_transport(*s);
  ASSERT_NE(t, nullptr);
  ImageNeeds needs = t->image_needs();
  EXPECT_NE(std::find(needs.tools.begin(), needs.tools.end(), "mdadm"), needs.tools.end());
  EXPECT_EQ(module_names(needs.drivers), (std::vector<std::string>{"nbd", "raid1"}));
  // Both legs' nbd, with its parameters once, on the kernel command line for a built-in nbd.
  EXPECT_EQ(driver_cmdline(needs.drivers), "nbd.nbds_max=4");
  EXPECT_TRUE(t->servers().empty());  // nothing started yet
}

// A transport asks for drivers, with their parameters: their modules go in the image and the
// parameters on the kernel command line (for a kernel that has the driver built in).
TEST(TransportRegistry, EveryTransportDeclaresItsDriversAndTheirParameters) {
  struct Case {
    const char* scenario;
    std::vector<std::string> modules;
    const char* cmdline;
  };
  const Case cases[] = {
      {"[storage]\ntransport = \"nbd\"\n", {"nbd"}, "nbd.nbds_max=4"},
      {"[storage]\ntransport = \"nbd-loopback\"\n", {"nbd", "virtio_blk"}, "nbd.nbds_max=2"},
      {"[storage]\ntransport = \"iscsi\"\n", {"iscsi_tcp", "sd_mod"}, ""},
      {"[storage]\ntransport = \"nfs\"\n", {"nfsv4"}, ""},
      {"[guest]\nkernel = \"debian-amd64\"\n[storage]\ntransport = \"9p\"\nuse = \"fs\"\n",
       {"9pnet_virtio", "9p"},
       ""},
  };
  for (const Case& c : cases) {
    auto s = config::parse_scenario(c.scenario, "t.toml");
    ASSERT_TRUE(s.ok()) << s.error().message();
    ASSERT_TRUE(check_storage(*s).ok()) << c.scenario;
    ImageNeeds needs = make_transport(*s)->image_needs();
    EXPECT_EQ(module_names(needs.drivers), c.modules) << c.scenario;
    EXPECT_EQ(driver_cmdline(needs.drivers), c.cmdline) << c.scenario;
  }
}

// mkfs for use = "fs" asks for the filesystem's driver, seen in /proc/filesystems when built in.
TEST(TransportRegistry, FilesystemUseAsksForItsDriver) {
  auto drivers_for = [](std::string_view storage, bool file_transport) {
    auto s = config::parse_scenario(fmt::format("[storage]\n{}\n", storage), "t.toml");
    EXPECT_TRUE(s.ok()) << s.error().message();
    return use_image_needs(s->storage, file_transport).drivers;
  };
  EXPECT_EQ(drivers_for("use = \"fs\"\nfs = \"xfs\"", false),
            (std::vector<Driver>{{"xfs", {}, {{"/proc/filesystems", "xfs"}}}}));
  EXPECT_EQ(drivers_for("use = \"fs\"\nfs = \"ext2\"", false),
            (std::vector<Driver>{{"ext4", {}, {{"/proc/filesystems", "ext2"}}}}));
  EXPECT_TRUE(drivers_for("use = \"swap\"", false).empty());
  EXPECT_TRUE(drivers_for("transport = \"nfs\"\nuse = \"fs\"", true).empty());
}

}  // namespace
}  // namespace wedge::storage
