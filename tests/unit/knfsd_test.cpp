// Unit tests for knfsd.h: the export cache channel lines as the 6.1 kernel parses them
// (ip_map_parse, svc_export_parse, expkey_parse), the order of the server's writes, and a
// setup through a recording guest whose every failure names its step.
#include "harness/storage/knfsd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/unit/knfsd_guest.h"

namespace wedge::storage {
namespace {

TEST(KnfsdLines, CacheWordsQuoteWhatQwordGetWouldSplitOn) {
  EXPECT_EQ(cache_word("/srv/nfs"), "/srv/nfs");
  EXPECT_EQ(cache_word("/srv/my nfs"), "/srv/my\\040nfs");
  EXPECT_EQ(cache_word("a\\b\tc\nd"), "a\\134b\\011c\\012d");
  EXPECT_EQ(cache_word("\xc3\xa9"), "\\303\\251");
}

TEST(KnfsdLines, IpMapAdmitsTheClientIntoTheDomainForNfsd) {
  EXPECT_EQ(ip_map_line("127.0.0.1", "wedge", kKnfsdNeverExpires),
            "nfsd 127.0.0.1 2147483647 wedge\n");
}

TEST(KnfsdLines, ExportIsReadWriteSyncNoRootSquashWithFsidZero) {
  EXPECT_EQ(kKnfsdExportFlags, 9218);  // 0x2402: INSECURE_PORT | NOSUBTREECHECK | FSID
  // Flags the export must not carry: read-only, root squash, async, the mountd-made v4 root.
  for (int flag : {0x0001, 0x0004, 0x0010, 0x10000}) EXPECT_EQ(kKnfsdExportFlags & flag, 0);
  EXPECT_EQ(export_line("wedge", "/srv/nfs", 100), "wedge /srv/nfs 100 9218 65534 65534 0\n");
  EXPECT_EQ(export_line("wedge", "/srv/a b", 100), "wedge /srv/a\\040b 100 9218 65534 65534 0\n");
}

TEST(KnfsdLines, FsidZeroKeyIsFourZeroBytesOfTypeFsidNum) {
  EXPECT_EQ(fsid_zero_key_line("wedge", "/srv/nfs", kKnfsdNeverExpires),
            "wedge 1 \\x00000000 2147483647 /srv/nfs\n");
}

TEST(KnfsdLines, VersionsArePlainNfsV41AndTheListenerIsTcpOnly) {
  EXPECT_EQ(knfsd_versions_line(), "-2 -3 -4.0 +4.1 -4.2\n");
  EXPECT_EQ(knfsd_portlist_line(2049), "tcp 2049\n");
}

TEST(KnfsdWrites, EverythingNfsdReadsAtStartComesBeforeTheThreads) {
  KnfsdConfig c;
  c.export_root = "/srv/x";
  c.threads = 3;
  auto writes = knfsd_writes(c);
  std::vector<std::string> paths;
  for (const auto& w : writes) paths.push_back(w.path);
  EXPECT_EQ(paths, (std::vector<std::string>{
                       "/proc/fs/nfsd/versions", "/proc/fs/nfsd/nfsv4gracetime",
                       "/proc/fs/nfsd/nfsv4leasetime", "/proc/net/rpc/auth.unix.ip/channel",
                       "/proc/net/rpc/nfsd.export/channel", "/proc/net/rpc/nfsd.fh/channel",
                       "/proc/fs/nfsd/portlist", "/proc/fs/nfsd/threads"}));
  EXPECT_EQ(writes[1].data, "10\n");
  EXPECT_EQ(writes[2].data, "10\n");
  EXPECT_EQ(writes[4].data, "wedge /srv/x 2147483647 9218 65534 65534 0\n");
  EXPECT_EQ(writes.back().data, "3\n");
  // Every cache channel message is one line (the kernel parses one entry per write).
  for (const auto& w : writes) {
    EXPECT_EQ(std::count(w.data.begin(), w.data.end(), '\n'), 1) << w.path;
    EXPECT_EQ(w.data.back(), '\n') << w.path;
    EXPECT_FALSE(w.step.empty()) << w.path;
  }
}

TEST(KnfsdSetup, MakesTheFilesystemMountsNfsdAndWritesInOrder) {
  KnfsdGuest guest;
  KnfsdConfig c;
  ASSERT_TRUE(prepare_knfsd_disk(guest, c).ok());
  auto exported = start_knfsd(guest, c);
  ASSERT_TRUE(exported.ok()) << exported.error().message();
  EXPECT_EQ(exported->client_path, "/");
  EXPECT_EQ(exported->server_root, "/srv/nfs");
  ASSERT_EQ(guest.commands.size(), 5u);
  EXPECT_EQ(guest.commands[0].back(), "/dev/vda");
  EXPECT_NE(guest.commands[0][0].find("mke2fs"), std::string::npos);
  EXPECT_EQ(guest.commands[2], (std::vector<std::string>{"/bin/busybox", "mount", "-t", "ext4",
                                                         "/dev/vda", "/srv/nfs"}));
  EXPECT_EQ(guest.commands[3], (std::vector<std::string>{"/bin/busybox", "mount", "-t", "nfsd",
                                                         "nfsd", "/proc/fs/nfsd"}));
  EXPECT_EQ(guest.commands[4],
            (std::vector<std::string>{"/bin/busybox", "mkdir", "-p", "/var/lib/nfs/v4recovery"}));
  // knfsd_writes in order, then the grace ended once nfsd listens.
  auto writes = knfsd_writes(c);
  ASSERT_EQ(guest.written.size(), writes.size() + 1);
  for (size_t i = 0; i < writes.size(); ++i) {
    EXPECT_EQ(guest.written[i], (std::pair{writes[i].path, writes[i].data}));
  }
  EXPECT_EQ(guest.written.back(),
            (std::pair<std::string, std::string>{"/proc/fs/nfsd/v4_end_grace", "Y\n"}));
}

// A kernel that will not end the grace early (no client tracking) costs grace_s, not the run.
TEST(KnfsdSetup, GraceThatCannotEndEarlyIsSaidNotFatal) {
  KnfsdGuest guest;
  guest.failing = "/proc/fs/nfsd/v4_end_grace";
  auto exported = start_knfsd(guest, KnfsdConfig{});
  ASSERT_TRUE(exported.ok()) << exported.error().message();
  ASSERT_FALSE(guest.said.empty());
  EXPECT_EQ(guest.said.back(),
            "guest: knfsd: the NFSv4 grace runs its 10 s (write /proc/fs/nfsd/v4_end_grace: "
            "Device or resource busy)");
}

TEST(KnfsdSetup, EachFailureNamesItsStep) {
  const std::map<std::string, std::string> steps = {
      {"/proc/fs/nfsd/versions", "knfsd: enabling NFSv4.1 only: writing /proc/fs/nfsd/versions"},
      {"/proc/net/rpc/nfsd.fh/channel",
       "knfsd: naming the export fsid 0 (nfsd.fh): writing /proc/net/rpc/nfsd.fh/channel"},
      {"/proc/fs/nfsd/threads", "knfsd: starting 8 nfsd threads: writing /proc/fs/nfsd/threads"},
  };
  for (const auto& [path, step] : steps) {
    KnfsdGuest guest;
    guest.failing = path;
    auto exported = start_knfsd(guest, KnfsdConfig{});
    ASSERT_FALSE(exported.ok()) << path;
    EXPECT_NE(exported.error().message().find(step), std::string::npos)
        << exported.error().message();
  }
}

// No thread ever listens: the wait names the port rather than hanging.
TEST(KnfsdSetup, NoListenerIsAnErrorNamingThePort) {
  KnfsdGuest guest;
  KnfsdConfig c;
  c.port = 2050;
  ASSERT_EQ(knfsd_writes(c)[6].data, "tcp 2050\n");
  // 2049 listens in this guest, 2050 never does.
  auto exported = start_knfsd(guest, c);
  ASSERT_FALSE(exported.ok());
  EXPECT_NE(exported.error().message().find("knfsd: nfsd listening on TCP 2050: not ready"),
            std::string::npos)
      << exported.error().message();
}

}  // namespace
}  // namespace wedge::storage
