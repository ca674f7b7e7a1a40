// Unit tests for the iSCSI transport's pure parts: tgtd's and tgtadm's argv, the guest's
// iscsiadm commands, parsing which disk belongs to which target, and the load-time rule for
// [storage] server.
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/storage/iscsi_initiator.h"
#include "harness/storage/tgtd_server.h"
#include "harness/storage/transport_registry.h"

namespace wedge::storage {
namespace {

using Argv = std::vector<std::string>;

TEST(TgtdServer, ControlNumberStaysInTgtdsRangeAndFollowsThePort) {
  EXPECT_EQ(tgtd_control_number(3260), 3261);
  EXPECT_EQ(tgtd_control_number(40000), 7234);
  EXPECT_EQ(tgtd_control_number(32767), 1);  // never 0: that is the system tgtd's
  for (int port : {1, 1024, 32766, 32768, 49152, 60999, 65535}) {
    EXPECT_GE(tgtd_control_number(port), 1) << port;
    EXPECT_LE(tgtd_control_number(port), 32767) << port;
  }
}

TEST(TgtdServer, RunsInTheForegroundWithItsPortalOnLoopback) {
  EXPECT_EQ(tgtd_argv("/usr/sbin/tgtd", 40000),
            (Argv{"/usr/sbin/tgtd", "-f", "-C", "7234", "--iscsi", "portal=127.0.0.1:40000"}));
}

TEST(TgtdServer, SetupCreatesTargetFileLunAndOpensIt) {
  auto argvs =
      tgtadm_setup_argvs("tgtadm", 7234, "iqn.2025-01.io.wedge:export-0", "/runs/r1/export.img");
  ASSERT_EQ(argvs.size(), 3u);
  EXPECT_EQ(argvs[0], (Argv{"tgtadm", "-C", "7234", "--lld", "iscsi", "--op", "new", "--mode",
                            "target", "--tid", "1", "-T", "iqn.2025-01.io.wedge:export-0"}));
  EXPECT_EQ(argvs[1],
            (Argv{"tgtadm", "-C", "7234", "--lld", "iscsi", "--op", "new", "--mode", "logicalunit",
                  "--tid", "1", "--lun", "1", "-b", "/runs/r1/export.img"}));
  EXPECT_EQ(argvs[2], (Argv{"tgtadm", "-C", "7234", "--lld", "iscsi", "--op", "bind", "--mode",
                            "target", "--tid", "1", "-I", "ALL"}));
}

TEST(TgtdServer, TeardownForcesTheTargetAwayThenEndsTheSystem) {
  auto argvs = tgtadm_teardown_argvs("tgtadm", 9);
  ASSERT_EQ(argvs.size(), 2u);
  EXPECT_EQ(argvs[0], (Argv{"tgtadm", "-C", "9", "--lld", "iscsi", "--op", "delete", "--force",
                            "--mode", "target", "--tid", "1"}));
  EXPECT_EQ(argvs[1], (Argv{"tgtadm", "-C", "9", "--op", "delete", "--mode", "system"}));
}

TEST(IscsiInitiator, NodeCommandsNameTargetAndHostPortal) {
  IscsiNode node{"/usr/sbin/iscsiadm", iscsi_target_name(1), iscsi_portal(40001)};
  EXPECT_EQ(node.target, "iqn.2025-01.io.wedge:export-1");
  EXPECT_EQ(node.portal, "10.0.2.2:40001,1");
  EXPECT_EQ(node.create(), (Argv{"/usr/sbin/iscsiadm", "-m", "node", "-o", "new", "-T",
                                 "iqn.2025-01.io.wedge:export-1", "-p", "10.0.2.2:40001,1"}));
  EXPECT_EQ(node.login(),
            (Argv{"/usr/sbin/iscsiadm", "-m", "node", "-T", "iqn.2025-01.io.wedge:export-1", "-p",
                  "10.0.2.2:40001,1", "--login"}));
  EXPECT_EQ(node.rescan(),
            (Argv{"/usr/sbin/iscsiadm", "-m", "node", "-T", "iqn.2025-01.io.wedge:export-1", "-p",
                  "10.0.2.2:40001,1", "--rescan"}));
  EXPECT_EQ(node.sessions(), (Argv{"/usr/sbin/iscsiadm", "-m", "session", "-P", "3"}));
}

// `iscsiadm -m session -P 3` with two sessions (RAID1 legs), as open-iscsi 2.1.8 prints it;
// leg 1's LUN scan has not attached its disk yet.
constexpr const char* kTwoSessions =
    "iSCSI Transport Class version 2.0-870\n"
    "version 2.1.8\n"
    "Target: iqn.2025-01.io.wedge:export-0 (non-flash)\n"
    "\tCurrent Portal: 10.0.2.2:40000,1\n"
    "\tPersistent Portal: 10.0.2.2:40000,1\n"
    "\t\tSID: 1\n"
    "\t\tiSCSI Connection State: LOGGED IN\n"
    "\t\t************************\n"
    "\t\tAttached SCSI devices:\n"
    "\t\t************************\n"
    "\t\tHost Number: 0\tState: running\n"
    "\t\tscsi0 Channel 00 Id 0 Lun: 0\n"
    "\t\tscsi0 Channel 00 Id 0 Lun: 1\n"
    "\t\t\tAttached scsi disk sda\t\tState: running\n"
    "Target: iqn.2025-01.io.wedge:export-1 (non-flash)\n"
    "\tCurrent Portal: 10.0.2.2:40001,1\n"
    "\t\tSID: 2\n"
    "\t\tHost Number: 1\tState: running\n"
    "\t\tscsi1 Channel 00 Id 0 Lun: 0\n";

TEST(IscsiInitiator, AttachedDiskBelongsToItsTarget) {
  EXPECT_EQ(attached_disk(kTwoSessions, "iqn.2025-01.io.wedge:export-0"), "sda");
  EXPECT_EQ(attached_disk(kTwoSessions, "iqn.2025-01.io.wedge:export-1"), std::nullopt);
  EXPECT_EQ(attached_disk(kTwoSessions, "iqn.2025-01.io.wedge:export"), std::nullopt);
  std::string scanned = std::string(kTwoSessions) + "\t\tscsi1 Channel 00 Id 0 Lun: 1\n" +
                        "\t\t\tAttached scsi disk sdb\t\tState: running\n";
  EXPECT_EQ(attached_disk(scanned, "iqn.2025-01.io.wedge:export-1"), "sdb");
  EXPECT_EQ(attached_disk("iscsiadm: No active sessions.\n", "iqn.2025-01.io.wedge:export-0"),
            std::nullopt);
}

TEST(IscsiInitiator, IscsidListensOnItsAbstractSocket) {
  constexpr const char* kHeader = "Num       RefCount Protocol Flags    Type St Inode Path\n";
  std::string without = std::string(kHeader) +
                        "0000000000000000: 00000002 00000000 00010000 0001 01 1201 /run/x.sock\n";
  EXPECT_FALSE(iscsid_listening(without));
  EXPECT_FALSE(iscsid_listening(""));
  std::string with = without +
                     "0000000000000000: 00000002 00000000 00010000 0001 01 1350 "
                     "@ISCSIADM_ABSTRACT_NAMESPACE\n";
  EXPECT_TRUE(iscsid_listening(with));
  EXPECT_FALSE(iscsid_listening(without + "0: 2 0 10000 1 01 9 @ISCSIADM_ABSTRACT_NAMESPACE2\n"));
}

std::string check(std::string_view text) {
  auto s = config::parse_scenario(text, "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

TEST(IscsiTransport, ServedByTgtdWhichIsAlsoTheDefault) {
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\n"), "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\nserver = \"tgtd\"\nraid1 = true\n"),
            "(loaded)");
  EXPECT_EQ(check("[guest]\nmemory_mib = 256\n[storage]\ntransport = \"iscsi\"\nserver = "
                  "\"nbdkit\"\n"),
            "t.toml:3: [storage] server = \"nbdkit\": transport = \"iscsi\" is served by "
            "\"tgtd\" (write server = \"tgtd\" or leave it out)");
  // The transport declares its server: nothing reads "nbd-server" as tgtd any more.
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\nserver = \"nbd-server\"\n"),
            "t.toml:1: [storage] server = \"nbd-server\": transport = \"iscsi\" is served by "
            "\"tgtd\" (write server = \"tgtd\" or leave it out)");
  auto s = config::parse_scenario("[storage]\ntransport = \"iscsi\"\n", "t.toml");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->storage.server, "");
  EXPECT_EQ(server_name(s->storage), "tgtd");
  EXPECT_EQ(transport_entry(config::TransportKind::kIscsi).servers,
            std::vector<std::string>{"tgtd"});
}

TEST(IscsiTransport, TakesRelayAndSignalFaultsButNoNbdkitFilters) {
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\n[[fault]]\nkind = \"server-stall\"\n"
                  "duration_s = 5\nat_s = 1\n"),
            "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\n[[fault]]\nkind = \"delay\"\n"
                  "duration_s = 5\ndelay_ms = 9\nat_s = 1\n"),
            "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"iscsi\"\nserver = \"tgtd\"\n[[fault]]\nkind = "
                  "\"error\"\nduration_s = 5\nerror_rate = 1\nat_s = 1\n"),
            "t.toml:4: [[fault]] kind = \"error\" needs an nbdkit filter ([storage] server = "
            "\"nbdkit\"); transport = \"iscsi\" with server = \"tgtd\" has none");
}

TEST(IscsiTransport, ImageCarriesOpenIscsiAndWhatIscsidNeeds) {
  auto s = config::parse_scenario("[storage]\ntransport = \"iscsi\"\n", "t.toml");
  ASSERT_TRUE(s.ok());
  ImageNeeds needs = make_transport(*s)->image_needs();
  EXPECT_EQ(needs.tools, (Argv{"iscsid", "iscsiadm"}));
  EXPECT_EQ(module_names(needs.drivers), (Argv{"iscsi_tcp", "sd_mod"}));
  std::vector<std::string> files;
  for (const auto& [path, content] : needs.files) files.push_back(path);
  EXPECT_EQ(files, (Argv{"/etc/passwd", "/etc/group", "/etc/iscsi/initiatorname.iscsi"}));
  EXPECT_EQ(needs.files[0].second.rfind("root:x:0:0:", 0), 0u);
}

}  // namespace
}  // namespace wedge::storage
