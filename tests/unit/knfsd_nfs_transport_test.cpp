// transport = "nfs" with server = "knfsd": the kernel NFS server in a server guest. Its checks
// (no server_binary, no kill or restart of a kernel), its fault capabilities (the guest's
// pause and balloon), and its setup over a scripted server guest: the export admits the
// host alias the forwarded connections come from, the swap file is written before the export,
// and the client mounts "/" through the relay.
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "tests/unit/knfsd_guest.h"
#include "tests/unit/scripted_server_guest.h"

namespace wedge::storage {
namespace {

config::Scenario knfsd_scenario(const std::string& extra) {
  auto s = config::parse_scenario(
      "[storage]\ntransport = \"nfs\"\nserver = \"knfsd\"\nsize_mib = 300\n" + extra, "t.toml");
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? *s : config::Scenario{};
}

// Boots a scripted server guest over a KnfsdGuest.
class KnfsdServerGuests final : public ServerGuests {
 public:
  Result<std::unique_ptr<ServerGuest>> boot(const ServerGuestSpec& spec) override {
    specs.push_back(spec);
    return std::unique_ptr<ServerGuest>(new ScriptedServerGuest(&server, &pauses, &resumes));
  }
  KnfsdGuest server;
  std::vector<ServerGuestSpec> specs;
  int pauses = 0;
  int resumes = 0;
};

TEST(KnfsdNfs, TakesTheServerGuestsFaultsButNoKillOrRestart) {
  const TransportEntry& e = transport_entry(config::TransportKind::kNfs);
  auto can = e.capabilities(knfsd_scenario("").storage);
  EXPECT_NE(std::find(can.begin(), can.end(), config::FaultNeed::kServerGuest), can.end());
  auto ganesha = e.capabilities(config::StorageConfig{});
  EXPECT_EQ(std::find(ganesha.begin(), ganesha.end(), config::FaultNeed::kServerGuest),
            ganesha.end());
  auto crash = check_storage(
      knfsd_scenario("[[fault]]\nkind = \"server-crash\"\nat_s = 5\n[limits]\nrecover = false\n"));
  ASSERT_FALSE(crash.ok());
  EXPECT_NE(crash.error().message().find("cannot be killed or restarted"), std::string::npos);
  auto binary = check_storage(knfsd_scenario("server_binary = \"/opt/x\"\n"));
  ASSERT_FALSE(binary.ok());
  EXPECT_NE(binary.error().message().find("server_binary must be unset"), std::string::npos);
  EXPECT_TRUE(check_storage(knfsd_scenario("")).ok());
}

TEST(KnfsdNfs, ServerGuestExportsToTheHostAliasAndTheClientMountsThroughTheRelay) {
  config::Scenario s = knfsd_scenario("use = \"swap\"\nserver_memory_mib = 320\n");
  auto t = make_transport(s);
  TempDir dir = *TempDir::create("knfsd-run");
  KnfsdServerGuests guests;
  auto started = t->start_host({&s, dir.path(), {}, &guests});
  ASSERT_TRUE(started.ok()) << started.error().message();
  ASSERT_EQ(guests.specs.size(), 1u);
  EXPECT_EQ(guests.specs[0].memory_mib, 320);
  EXPECT_EQ(guests.specs[0].ports, std::vector<int>{2049});
  // The disk holds the 300 MiB swap file and ext4's own (knfsd_disk_mib).
  EXPECT_EQ(std::filesystem::file_size(guests.specs[0].disks[0]), uint64_t{364} << 20);
  bool admits_host_alias = false;
  for (const auto& [path, data] : guests.server.written) {
    if (path == "/proc/net/rpc/auth.unix.ip/channel") {
      admits_host_alias = data.find(" 10.0.2.2 ") != std::string::npos;
    }
  }
  EXPECT_TRUE(admits_host_alias);
  auto at = [&](const std::string& event) {
    return std::find(guests.server.events.begin(), guests.server.events.end(), event) -
           guests.server.events.begin();
  };
  EXPECT_LT(at("dd"), at("/proc/net/rpc/nfsd.export/channel"));

  vm::VmSpec spec;
  t->adjust_vm(spec);
  ASSERT_EQ(spec.host_ports.size(), 1u);
  KnfsdGuest client;
  auto attached = t->attach(client);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->swap_file, "/mnt/wedge/swapfile");
  const std::vector<std::string>& mount = client.commands.back();
  ASSERT_EQ(mount.size(), 8u);
  EXPECT_EQ(mount[5].rfind(
                fmt::format("vers=4.1,proto=tcp,port={},addr=10.0.2.2,", spec.host_ports[0]), 0),
            0u)
      << mount[5];
  EXPECT_EQ(mount[6], "10.0.2.2:/");
  ASSERT_EQ(t->servers().size(), 1u);
  EXPECT_NE(t->servers()[0]->server_guest(), nullptr);
  ASSERT_TRUE(t->stop().ok());
}

}  // namespace
}  // namespace wedge::storage
