// Unit tests for vm-images/packages: apt's answers parsed (depends, print-uris, dpkg-query),
// package names checked, and a library closure placed from a fake ldd output and a real one
// resolved through an unpacked tree (a host program whose library sits in a fake package).
#include <gtest/gtest.h>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "harness/util/text.h"
#include "vm-images/ldd.h"
#include "vm-images/packages.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST(Packages, NamesFollowDebianPolicy) {
  for (const char* good : {"fio", "stress-ng", "libstdc++6", "g++", "python3.11", "0ad"}) {
    EXPECT_TRUE(is_debian_package_name(good)) << good;
  }
  for (const char* bad : {"", "a", "-o", "Fio", "fio bar", "fio;rm", "../x", ".fio", "+x",
                          "fio=3.3", "fio/bookworm", "fio:amd64", "f\xC3\xA9"}) {
    EXPECT_FALSE(is_debian_package_name(bad)) << bad;
  }
  EXPECT_FALSE(is_debian_package_name(std::string(129, 'a')));
}

TEST(Packages, AptDependsGivesGroupsWithAlternativesAndProviders) {
  constexpr std::string_view kText =
      "fio\n"
      "  Depends: libaio1\n"
      "  Depends: python3:any\n"
      " |Depends: libfoo1\n"
      "  Depends: libbar2\n"
      "  Depends: <debconf-2.0>\n"
      "    cdebconf\n"
      "    debconf\n"
      "  Recommends: python3-scipy\n"
      "  PreDepends: libc6\n"
      "libaio1\n"
      "  Depends: libc6\n"
      "zlib1g\n";
  auto parsed = parse_apt_depends(kText);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0].first, "fio");
  std::vector<DependsGroup> want = {
      {"libaio1"}, {"python3"}, {"libfoo1", "libbar2"}, {"cdebconf", "debconf"}, {"libc6"}};
  EXPECT_EQ(parsed[0].second, want);
  EXPECT_EQ(parsed[1].first, "libaio1");
  EXPECT_EQ(parsed[1].second, (std::vector<DependsGroup>{{"libc6"}}));
  EXPECT_TRUE(parsed[2].second.empty());
}

TEST(Packages, InstalledAndPrintUrisAreParsed) {
  EXPECT_EQ(parse_installed("libaio1 install ok installed\nlibpmem1 deinstall ok config-files\n"
                            "libc6:amd64 install ok installed\n"),
            (std::vector<std::string>{"libaio1", "libc6"}));
  auto deb = parse_print_uris(
      "'http://deb.debian.org/debian/pool/main/f/fio/fio_3.33-3_amd64.deb' fio_3.33-3_amd64.deb "
      "537684 SHA256:dc79dae895125512620fcd16465f1a19edec8f2d73736fe76a9fbf8195cfb745\n");
  ASSERT_TRUE(deb.ok()) << deb.error().message();
  EXPECT_EQ(deb->file, "fio_3.33-3_amd64.deb");
  EXPECT_EQ(deb->sha256, "dc79dae895125512620fcd16465f1a19edec8f2d73736fe76a9fbf8195cfb745");
  // A file name that would leave the cache directory, or no digest: not accepted.
  EXPECT_FALSE(parse_print_uris("'http://x/y.deb' ../y.deb 1 SHA256:" + std::string(64, 'a')).ok());
  EXPECT_FALSE(parse_print_uris("'http://x/y.deb' y.deb 1 MD5Sum:abc\n").ok());
  EXPECT_FALSE(parse_print_uris("").ok());
}

// ldd's answer for fio unpacked under a cache dir: fetched libraries keep their packaged path
// (or move to the loader's directory), host libraries keep theirs, the loader is at its path.
TEST(Packages, ClosureFromFakeLddOutputIsPlaced) {
  std::vector<UnpackedPackage> pkgs = {
      {"fio", "/cache/packages/fio_3.33-3_amd64-dc79/root", true},
      {"libpmemblk1", "/cache/packages/libpmemblk1-aa/root", false}};
  constexpr std::string_view kLdd =
      "\tlinux-vdso.so.1 (0x00007ffd)\n"
      "\tlibpmemblk.so.1 => /cache/packages/libpmemblk1-aa/root/usr/lib/x86_64-linux-gnu/"
      "libpmemblk.so.1 (0x00007f01)\n"
      "\tlibodd.so.2 => /cache/packages/libpmemblk1-aa/root/usr/lib/x86_64-linux-gnu/odd/"
      "libodd.so.2 (0x00007f02)\n"
      "\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f03)\n"
      "\t/lib64/ld-linux-x86-64.so.2 (0x00007f04)\n";
  auto libs = parse_ldd_output(kLdd);
  ASSERT_TRUE(libs.ok()) << libs.error().message();
  std::vector<std::pair<std::string, fs::path>> placed;
  for (const auto& lib : *libs) placed.push_back(place_library(lib, pkgs));
  ASSERT_EQ(placed.size(), 4u);
  EXPECT_EQ(placed[0].first, "/usr/lib/x86_64-linux-gnu/libpmemblk.so.1");
  EXPECT_EQ(placed[0].second,
            "/cache/packages/libpmemblk1-aa/root/usr/lib/x86_64-linux-gnu/libpmemblk.so.1");
  EXPECT_EQ(placed[1].first, "/usr/lib/x86_64-linux-gnu/libodd.so.2");
  EXPECT_EQ(placed[2].first, "/lib/x86_64-linux-gnu/libm.so.6");
  EXPECT_EQ(placed[2].second, "/lib/x86_64-linux-gnu/libm.so.6");
  EXPECT_EQ(placed[3].first, "/lib64/ld-linux-x86-64.so.2");
  // A root that merely shares a prefix is not "under" it.
  auto other = place_library("/cache/packages/fio_3.33-3_amd64-dc79/rootx/usr/lib/a.so", pkgs);
  EXPECT_EQ(other.first, "/cache/packages/fio_3.33-3_amd64-dc79/rootx/usr/lib/a.so");
}

// A real ldd run through an unpacked tree: a host program "packaged" with a copy of one of its
// libraries gets that copy (not the host's) at the packaged path, the rest from the host.
TEST(Packages, ProgramClosureResolvesFromTheTreeFirst) {
  auto tmp = TempDir::create("wedge-packages-test");
  ASSERT_TRUE(tmp.ok());
  auto host_libs = shared_libraries("/bin/ls");
  ASSERT_TRUE(host_libs.ok()) << host_libs.error().message();
  std::string borrowed;
  for (const auto& lib : *host_libs) {
    if (lib.find("libselinux") != std::string::npos) borrowed = lib;
  }
  ASSERT_FALSE(borrowed.empty()) << "ls links libselinux on Debian";
  fs::path tool_root = tmp->path() / "tool" / "root";
  fs::path lib_root = tmp->path() / "libtool1" / "root";
  fs::create_directories(tool_root / "usr/bin");
  fs::create_directories(lib_root / "usr/lib/x86_64-linux-gnu");
  fs::copy_file("/bin/ls", tool_root / "usr/bin/ls");
  fs::path copy = lib_root / "usr/lib/x86_64-linux-gnu" / fs::path(borrowed).filename();
  fs::copy_file(borrowed, copy);
  ASSERT_TRUE(write_file_atomic(tool_root / "usr/bin/helper", "#!/bin/sh\necho hi\n").ok());
  std::vector<UnpackedPackage> pkgs = {{"tool", tool_root, true}, {"libtool1", lib_root, false}};

  EXPECT_EQ(library_dirs(pkgs), std::vector<fs::path>{copy.parent_path()});
  ImageTree tree;
  auto added = add_package_programs(tree, pkgs);
  ASSERT_TRUE(added.ok()) << added.error().message();
  EXPECT_EQ(*added, (std::vector<std::string>{"/usr/bin/helper", "/usr/bin/ls"}));
  std::map<std::string, fs::path> source_of;
  for (const CpioEntry& e : tree.entries()) source_of[e.path] = e.source;
  EXPECT_EQ(source_of["/usr/bin/ls"], tool_root / "usr/bin/ls");
  std::string guest_lib = "/usr/lib/x86_64-linux-gnu/" + fs::path(borrowed).filename().string();
  EXPECT_EQ(source_of[guest_lib], copy);
  EXPECT_EQ(source_of["/lib64/ld-linux-x86-64.so.2"], "/lib64/ld-linux-x86-64.so.2");
  for (const auto& lib : *host_libs) {
    if (lib != borrowed) {
      EXPECT_EQ(source_of.count(lib), 1u) << lib;
    }
  }
  // Only the closure goes in: the library package's own files do not.
  EXPECT_EQ(source_of.count("/usr/lib/x86_64-linux-gnu"), 1u);
  size_t files = 0;
  for (const auto& [path, source] : source_of) files += !source.empty();
  EXPECT_EQ(files, 2 + host_libs->size());
}

}  // namespace
}  // namespace wedge::image
