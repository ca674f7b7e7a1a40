// Unit tests for the NFS transport's pure parts: ganesha's config text and argv, its version
// string, the guest's mount(2) options, and the load-time checks of transport = "nfs".
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/storage/ganesha_server.h"
#include "harness/storage/nfs_mount.h"
#include "harness/storage/transport_registry.h"

namespace wedge::storage {
namespace {

GaneshaOptions options() {
  GaneshaOptions o;
  o.work_dir = "/runs/r1";
  o.export_dir = "/runs/r1/nfs-export";
  return o;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(GaneshaConfig, ServesOneVfsExportOverNfs41OnLoopbackOnly) {
  auto c = ganesha_config(options(), 40123);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(has(*c, "  Protocols = 4;\n  NFS_Port = 40123;\n  Bind_Addr = 127.0.0.1;\n")) << *c;
  EXPECT_TRUE(has(*c, "  Enable_NLM = false;\n  Enable_RQUOTA = false;\n  Enable_UDP = false;\n"));
  EXPECT_TRUE(has(*c, "  Minor_Versions = 1;\n"));
  EXPECT_TRUE(has(*c, "  Lease_Lifetime = 60;\n  Grace_Period = 60;\n"));
  EXPECT_TRUE(has(*c, "  RecoveryRoot = \"/runs/r1/nfs-recovery\";\n"));
  EXPECT_TRUE(has(*c, "  Path = \"/runs/r1/nfs-export\";\n  Pseudo = \"/wedge\";\n"));
  EXPECT_TRUE(has(*c, "  Squash = No_Root_Squash;\n"));
  EXPECT_TRUE(has(*c, "  FSAL {\n    Name = VFS;\n  }\n"));
}

TEST(GaneshaConfig, RefusesPathsItCannotQuote) {
  GaneshaOptions o = options();
  o.export_dir = "/runs/a\"b";
  auto c = ganesha_config(o, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message(),
            "export dir '/runs/a\"b' holds a character ganesha.conf cannot quote");
  o = options();
  o.pseudo_path = "wedge";
  EXPECT_EQ(ganesha_config(o, 1).error().message(), "pseudo path 'wedge' must start with '/'");
}

TEST(GaneshaArgv, ForegroundWithItsFilesInTheRunDir) {
  EXPECT_EQ(
      ganesha_argv("/usr/bin/ganesha.nfsd", "/runs/r1"),
      (std::vector<std::string>{"/usr/bin/ganesha.nfsd", "-F", "-f", "/runs/r1/ganesha.conf", "-L",
                                "STDERR", "-p", "/runs/r1/ganesha.pid", "-N", "NIV_EVENT"}));
}

TEST(GaneshaVersion, ParsesTheReleaseLine) {
  EXPECT_EQ(*ganesha_version("NFS-Ganesha Release = V4.3\n"), "nfs-ganesha 4.3");
  EXPECT_EQ(ganesha_version("usage: ...\n").error().message(),
            "unexpected ganesha.nfsd -v output 'usage: ...'");
}

TEST(NfsMount, KernelTextOptionsWithTheScenariosAppended) {
  NfsMount m{"10.0.2.2", 40123, "/wedge", "/mnt/wedge", ""};
  EXPECT_EQ(nfs_mount_argv("/bin/busybox", m),
            (std::vector<std::string>{"/bin/busybox", "mount", "-t", "nfs4", "-o",
                                      "vers=4.1,proto=tcp,port=40123,addr=10.0.2.2,"
                                      "clientaddr=10.0.2.15",
                                      "10.0.2.2:/wedge", "/mnt/wedge"}));
  m.extra_options = "sync,timeo=50";
  EXPECT_EQ(nfs_mount_options(m),
            "vers=4.1,proto=tcp,port=40123,addr=10.0.2.2,clientaddr=10.0.2.15,sync,timeo=50");
}

std::string check(std::string_view text) {
  auto s = config::parse_scenario(text, "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

TEST(NfsTransport, ServedByGaneshaOrKnfsd) {
  EXPECT_EQ(check("[storage]\ntransport = \"nfs\"\n"), "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"nfs\"\nserver = \"ganesha\"\n"), "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"nfs\"\nserver = \"nfs-ganesha\"\nuse = \"fs\"\n"),
            "(loaded)");
  EXPECT_EQ(check("\n[storage]\ntransport = \"nfs\"\nserver = \"nbdkit\"\n"),
            "t.toml:2: [storage] server = \"nbdkit\": transport = \"nfs\" is served by "
            "\"nfs-ganesha\" or \"ganesha\" or \"knfsd\"");
  EXPECT_EQ(check("[storage]\ntransport = \"nfs\"\nserver = \"knfsd\"\n"), "(loaded)");
  EXPECT_EQ(check("[storage]\ntransport = \"nfs\"\nraid1 = true\n"),
            "t.toml:1: [storage] raid1 = true needs a block transport served from the host (nbd "
            "or iscsi), not \"nfs\"");
}

TEST(NfsTransport, TakesServerAndRelayFaultsButNoNbdkitFilters) {
  auto with_fault = [](std::string_view fault) {
    return check(fmt::format("[storage]\ntransport = \"nfs\"\n[[fault]]\n{}\nat_s = 1\n", fault));
  };
  EXPECT_EQ(with_fault("kind = \"server-stall\"\nduration_s = 30"), "(loaded)");
  EXPECT_EQ(with_fault("kind = \"server-restart\"\nrestart_after_s = 2"), "(loaded)");
  EXPECT_EQ(with_fault("kind = \"delay\"\nduration_s = 5\ndelay_ms = 9"), "(loaded)");
  EXPECT_EQ(with_fault("kind = \"error\"\nduration_s = 5\nerror_rate = 1"),
            "t.toml:3: [[fault]] kind = \"error\" needs an nbdkit filter ([storage] server = "
            "\"nbdkit\"); transport = \"nfs\" with server = \"nfs-ganesha\" has none");
}

TEST(NfsTransport, NeedsOnlyTheKernelClientInTheImage) {
  auto s = config::parse_scenario("[storage]\ntransport = \"nfs\"\n", "t.toml");
  ASSERT_TRUE(s.ok());
  auto t = make_transport(*s);
  ASSERT_NE(t, nullptr);
  ImageNeeds needs = t->image_needs();
  EXPECT_TRUE(needs.tools.empty());
  EXPECT_EQ(module_names(needs.drivers), std::vector<std::string>{"nfsv4"});
  EXPECT_TRUE(t->servers().empty());  // nothing started yet
}

TEST(NfsTransport, BuiltinScenariosLoad) {
  for (const char* name : {"nfs-swap-hog", "nfs-server-stall"}) {
    auto path = config::find_scenario(name);
    ASSERT_TRUE(path.ok()) << path.error().message();
    auto s = config::load_scenario(*path);
    ASSERT_TRUE(s.ok()) << s.error().message();
    EXPECT_EQ(s->storage.transport, config::TransportKind::kNfs);
    EXPECT_TRUE(check_storage(*s).ok()) << name;
  }
}

}  // namespace
}  // namespace wedge::storage
