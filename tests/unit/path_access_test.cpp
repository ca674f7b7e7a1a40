// The reachability walk behind running QEMU and the storage servers unprivileged: which folder
// on the way to a path the user cannot search, judged by owner, group and other bits as the
// kernel would; folders not made yet do not block.
#include "harness/util/path_access.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>

namespace wedge {
namespace {

const Account kQemu{"libvirt-qemu", 999, 995, {995, 44}};

// A fake file tree: path -> mode and owner; anything else cannot be examined.
StatFn tree(std::map<std::string, PathMode> entries) {
  return [entries = std::move(entries)](const std::filesystem::path& p) -> std::optional<PathMode> {
    auto it = entries.find(p.string());
    if (it == entries.end()) return std::nullopt;
    return it->second;
  };
}

constexpr mode_t kDir = S_IFDIR;

TEST(PathAccess, ReachableThroughWorldSearchableFolders) {
  auto stat_of = tree({{"/tmp", {kDir | 01777, 0, 0}}, {"/tmp/run", {kDir | 0755, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/tmp/run/agent.sock", kQemu, stat_of), std::nullopt);
  EXPECT_EQ(unreachable_reason("/tmp", kQemu, stat_of), std::nullopt) << "only folders above";
}

TEST(PathAccess, AHomeFolderClosedToOthersIsNamed) {
  auto stat_of = tree({{"/root", {kDir | 0700, 0, 0}}, {"/root/w", {kDir | 0755, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/root/w/export.img", kQemu, stat_of),
            "/root is mode 0700, owned by uid 0 gid 0");
}

TEST(PathAccess, OwnerGroupAndOtherBitsAreEachUsedForTheirOwn) {
  // Group bits apply to a member (supplementary groups too), and only to a member.
  auto group_only = tree({{"/srv", {kDir | 0750, 0, 44}}});
  EXPECT_EQ(unreachable_reason("/srv/disk.img", kQemu, group_only), std::nullopt);
  auto other_group = tree({{"/srv", {kDir | 0750, 0, 7}}});
  EXPECT_EQ(unreachable_reason("/srv/disk.img", kQemu, other_group),
            "/srv is mode 0750, owned by uid 0 gid 7");
  // The owner's bits, not other's, apply to the owner: 0077 shuts the owner out.
  auto owner_shut = tree({{"/srv", {kDir | 0077, 999, 0}}});
  EXPECT_EQ(unreachable_reason("/srv/disk.img", kQemu, owner_shut),
            "/srv is mode 0077, owned by uid 999 gid 0");
  // Read without search is not enough.
  auto read_only = tree({{"/srv", {kDir | 0744, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/srv/disk.img", kQemu, read_only),
            "/srv is mode 0744, owned by uid 0 gid 0");
}

TEST(PathAccess, FoldersNotMadeYetDoNotBlock) {
  auto stat_of = tree({{"/a", {kDir | 0755, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/a/b/c/run", kQemu, stat_of), std::nullopt);
  auto closed = tree({{"/a", {kDir | 0700, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/a/b/c/run", kQemu, closed),
            "/a is mode 0700, owned by uid 0 gid 0");
}

TEST(PathAccess, TheFolderItselfCountsWhenGivenWithDot) {
  auto stat_of = tree({{"/t", {kDir | 0755, 0, 0}}, {"/t/share", {kDir | 0700, 0, 0}}});
  EXPECT_EQ(unreachable_reason("/t/share/.", kQemu, stat_of),
            "/t/share is mode 0700, owned by uid 0 gid 0");
}

}  // namespace
}  // namespace wedge
