// The NVMe/TCP transport's pieces without a guest: the configfs steps of the kernel target,
// the connect string, finding the namespace the connect made, the transport over a scripted
// server guest (what it configures, what the client writes), and a GuestServer's signals
// (SIGSTOP pauses the server guest, SIGCONT resumes it, nothing else is offered).
#include <gtest/gtest.h>

#include <csignal>

#include "harness/config/load_scenario.h"
#include "harness/faults/injectors.h"
#include "harness/storage/guest_server.h"
#include "harness/storage/nvmet.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"
#include "tests/unit/scripted_guest.h"
#include "tests/unit/scripted_server_guest.h"

namespace wedge::storage {
namespace {

using Kind = ConfigStep::Kind;

TEST(NvmetSteps, SubsystemNamespaceAndPortInOrder) {
  auto steps = nvmet_target_steps({"nqn.test:x", "/dev/vda", 4420, 1});
  const std::string sub = "/sys/kernel/config/nvmet/subsystems/nqn.test:x";
  const std::string port = "/sys/kernel/config/nvmet/ports/1";
  ASSERT_EQ(steps.size(), 11u);
  EXPECT_EQ(steps.front(), (ConfigStep{Kind::kMkdir, sub, ""}));
  EXPECT_EQ(steps[1], (ConfigStep{Kind::kWrite, sub + "/attr_allow_any_host", "1"}));
  EXPECT_EQ(steps[3], (ConfigStep{Kind::kWrite, sub + "/namespaces/1/device_path", "/dev/vda"}));
  // The namespace is enabled only once its device is set.
  EXPECT_EQ(steps[4], (ConfigStep{Kind::kWrite, sub + "/namespaces/1/enable", "1"}));
  EXPECT_EQ(steps[9], (ConfigStep{Kind::kWrite, port + "/addr_trsvcid", "4420"}));
  // The port starts listening when the subsystem is linked to it: last.
  EXPECT_EQ(steps.back(), (ConfigStep{Kind::kSymlink, port + "/subsystems/nqn.test:x", sub}));
}

TEST(NvmetSteps, ApplyRunsMkdirLnAndWrites) {
  ScriptedGuest guest;
  ASSERT_TRUE(apply_steps(guest, nvmet_target_steps({"nqn.test:x", "/dev/vdb", 4421, 2})).ok());
  ASSERT_EQ(guest.commands.size(), 4u);  // three mkdir, one ln
  EXPECT_EQ(guest.commands[0][1], "mkdir");
  EXPECT_EQ(guest.commands[3][1], "ln");
  EXPECT_EQ(guest.commands[3][2], "-s");
  ASSERT_EQ(guest.writes.size(), 7u);
  EXPECT_EQ(guest.writes[1].second, "/dev/vdb");
  EXPECT_EQ(guest.writes.back(),
            std::make_pair(std::string("/sys/kernel/config/nvmet/ports/2/addr_trsvcid"),
                           std::string("4421")));
}

TEST(NvmetSteps, ConfigfsMountedOnlyWhenMissing) {
  ScriptedGuest mounted(std::map<std::string, std::string>{
      {"/proc/mounts", "configfs /sys/kernel/config configfs rw 0 0\n"}});
  ASSERT_TRUE(ensure_configfs(mounted).ok());
  EXPECT_TRUE(mounted.commands.empty());
  ScriptedGuest bare(
      std::map<std::string, std::string>{{"/proc/mounts", "proc /proc proc rw 0 0\n"}});
  ASSERT_TRUE(ensure_configfs(bare).ok());
  ASSERT_EQ(bare.commands.size(), 1u);
  EXPECT_EQ(bare.commands[0][1], "mount");
}

TEST(NvmeConnect, OptionsString) {
  EXPECT_EQ(nvme_connect_options("10.0.2.2", 40123, "nqn.test:x"),
            "transport=tcp,traddr=10.0.2.2,trsvcid=40123,nqn=nqn.test:x");
}

TEST(NvmeConnect, FindsTheMultipathNamespaceOfTheNqn) {
  ScriptedGuest guest({{"/sys/class/nvme-subsystem/nvme-subsys0/subsysnqn", "nqn.other\n"},
                       {"/sys/class/nvme-subsystem/nvme-subsys1/subsysnqn", "nqn.test:x\n"},
                       {"/sys/block/nvme0n1/size", "2097152\n"},
                       {"/sys/block/nvme1n1/size", "2097152\n"}});
  auto found = find_nvme_namespace(guest, "nqn.test:x", std::chrono::milliseconds(500));
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(*found, "/dev/nvme1n1");
}

TEST(NvmeConnect, FindsTheControllersNamespaceWithoutMultipath) {
  ScriptedGuest guest({{"/sys/class/nvme/nvme0/subsysnqn", "nqn.test:x\n"},
                       {"/sys/block/nvme0n1/size", "2097152\n"}});
  auto found = find_nvme_namespace(guest, "nqn.test:x", std::chrono::milliseconds(500));
  ASSERT_TRUE(found.ok()) << found.error().message();
  EXPECT_EQ(*found, "/dev/nvme0n1");
}

TEST(NvmeConnect, AnEmptyNamespaceIsNotThere) {
  ScriptedGuest guest(
      {{"/sys/class/nvme/nvme0/subsysnqn", "nqn.test:x\n"}, {"/sys/block/nvme0n1/size", "0\n"}});
  auto found = find_nvme_namespace(guest, "nqn.test:x", std::chrono::milliseconds(200));
  ASSERT_FALSE(found.ok());
  EXPECT_NE(found.error().message().find("nqn.test:x"), std::string::npos);
}

TEST(GuestServerTest, StopPausesContResumesOthersRefused) {
  ScriptedGuest ops;
  int pauses = 0, resumes = 0;
  auto server = GuestServer::start(std::make_unique<ScriptedServerGuest>(&ops, &pauses, &resumes),
                                   4420, "nvmet-tcp in x");
  ASSERT_TRUE(server.ok()) << server.error().message();
  EXPECT_GT((*server)->guest_port(), 0);
  ASSERT_TRUE((*server)->signal(SIGSTOP).ok());
  ASSERT_TRUE((*server)->signal(SIGCONT).ok());
  EXPECT_EQ(pauses, 1);
  EXPECT_EQ(resumes, 1);
  EXPECT_FALSE((*server)->signal(SIGKILL).ok());
  EXPECT_FALSE((*server)->kill().ok());
  EXPECT_FALSE((*server)->restart(std::chrono::seconds(1)).ok());
  // A server guest left paused is resumed before it goes.
  ASSERT_TRUE((*server)->signal(SIGSTOP).ok());
  ASSERT_TRUE((*server)->stop().ok());
  EXPECT_EQ(resumes, 2);
}

TEST(ServerSqueeze, BalloonsTheServerGuestAndGivesItsMemoryBack) {
  ScriptedGuest ops;
  int pauses = 0, resumes = 0;
  auto guest = std::make_unique<ScriptedServerGuest>(&ops, &pauses, &resumes);
  ScriptedServerGuest* seen = guest.get();
  auto server = GuestServer::start(std::move(guest), 4420, "nvmet-tcp in x");
  ASSERT_TRUE(server.ok());
  config::FaultConfig fault;
  fault.kind = config::FaultKind::kServerSqueeze;
  fault.params.push_back({"memory_mib", 96});
  faults::InjectorTargets targets;
  targets.servers = {server->get()};
  auto injector = faults::make_injector(fault, targets);
  ASSERT_TRUE(injector.ok()) << injector.error().message();
  ASSERT_TRUE((*injector)->start().ok());
  ASSERT_TRUE((*injector)->stop().ok());
  EXPECT_EQ(seen->balloon, (std::vector<int>{96, 256}));
}

config::Scenario nvme_scenario(const std::string& storage_lines) {
  TempDir dir = *TempDir::create("nvme-test");
  const auto path = dir.path() / "s.toml";
  EXPECT_TRUE(write_file_atomic(path, "name = \"n\"\n[storage]\ntransport = \"nvme-tcp\"\n" +
                                          storage_lines + "[workload]\nkind = \"swap-hog\"\n")
                  .ok());
  auto s = config::load_scenario(path);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? *s : config::Scenario{};
}

TEST(NvmeTcpTransport, NeedsAServerGuest) {
  auto t = make_transport(nvme_scenario(""));
  TempDir dir = *TempDir::create("nvme-run");
  auto started = t->start_host({nullptr, dir.path(), {}, nullptr});
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.error().message().find("server guest"), std::string::npos);
}

TEST(NvmeTcpTransport, ConfiguresTheTargetAndConnectsThroughTheRelay) {
  config::Scenario s = nvme_scenario("server_memory_mib = 320\nsize_mib = 64\n");
  auto t = make_transport(s);
  TempDir dir = *TempDir::create("nvme-run");
  ScriptedServerGuests guests;
  auto started = t->start_host({&s, dir.path(), {}, &guests});
  ASSERT_TRUE(started.ok()) << started.error().message();
  ASSERT_EQ(guests.specs.size(), 1u);
  EXPECT_EQ(guests.specs[0].memory_mib, 320);
  EXPECT_EQ(guests.specs[0].ports, std::vector<int>{4420});
  ASSERT_EQ(guests.specs[0].disks.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(guests.specs[0].disks[0]), 64u << 20);
  bool device_set = false;
  for (const auto& [path, data] : guests.server.writes) {
    if (path.ends_with("/namespaces/1/device_path")) device_set = data == "/dev/vda";
  }
  EXPECT_TRUE(device_set);

  vm::VmSpec spec;
  t->adjust_vm(spec);
  ASSERT_EQ(spec.host_ports.size(), 1u);
  ScriptedGuest client(
      {{"/proc/sys/kernel/osrelease", "6.1.0-57-cloud-amd64\n"},
       {"/proc/modules", "nvme_tcp 1 0 - Live 0x0\n"},
       {"/sys/class/nvme-subsystem/nvme-subsys0/subsysnqn", "nqn.2026-12.io.wedge:export0\n"},
       {"/sys/block/nvme0n1/size", "131072\n"}});
  auto attached = t->attach(client);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->device, "/dev/nvme0n1");
  ASSERT_FALSE(client.writes.empty());
  EXPECT_EQ(client.writes.back().first, "/dev/nvme-fabrics");
  EXPECT_EQ(client.writes.back().second,
            nvme_connect_options("10.0.2.2", spec.host_ports[0], "nqn.2026-12.io.wedge:export0"));
  ASSERT_EQ(t->servers().size(), 1u);
  ASSERT_TRUE(t->servers()[0]->signal(SIGSTOP).ok());
  EXPECT_EQ(guests.pauses, 1);
  ASSERT_TRUE(t->stop().ok());
  EXPECT_EQ(guests.resumes, 1);
}

TEST(NvmeTcpTransport, MirrorsAndRejectsAServerBinary) {
  const TransportEntry& e = transport_entry(config::TransportKind::kNvmeTcp);
  EXPECT_TRUE(e.mirrors);
  EXPECT_FALSE(e.file_transport);
  config::Scenario s = nvme_scenario("server_binary = \"/usr/bin/x\"\n");
  auto checked = check_storage(s);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("server_binary must be unset"), std::string::npos);
}

TEST(NvmeTcpTransport, RefusesFaultsAKernelCannotTake) {
  config::Scenario s =
      nvme_scenario("[[fault]]\nkind = \"server-crash\"\nat_s = 10\n[limits]\nrecover = false\n");
  auto checked = check_storage(s);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("cannot be killed or restarted"), std::string::npos);
}

TEST(ServerSqueeze, NeedsAServerGuest) {
  TempDir dir = *TempDir::create("squeeze-test");
  const auto path = dir.path() / "s.toml";
  ASSERT_TRUE(write_file_atomic(path,
                                "name = \"n\"\n[storage]\ntransport = \"nbd\"\n[workload]\nkind = "
                                "\"swap-hog\"\n[[fault]]\nkind = \"server-squeeze\"\nat_s = "
                                "5\nduration_s = 10\nmemory_mib = 96\n")
                  .ok());
  auto s = config::load_scenario(path);
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto checked = check_storage(*s);
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("a server guest"), std::string::npos);
}

TEST(NvmeTcpTransport, ServerMemoryRoundTripsAndIsBounded) {
  config::Scenario s = nvme_scenario("server_memory_mib = 384\n");
  EXPECT_EQ(s.storage.server_memory_mib, 384);
  EXPECT_NE(config::to_toml(s).find("server_memory_mib = 384"), std::string::npos);
  config::Scenario d = nvme_scenario("");
  EXPECT_EQ(config::to_toml(d).find("server_memory_mib"), std::string::npos);
}

}  // namespace
}  // namespace wedge::storage
