// Unit tests for the small parsers of the image builder: busybox applet lists, the kernel
// metapackage's Depends field, the stock flavour names, and the hashed manifest.
#include <gtest/gtest.h>

#include "vm-images/contents.h"
#include "vm-images/debian_kernel.h"
#include "vm-images/image_cache.h"

namespace wedge::image {
namespace {

TEST(Busybox, AppletListBecomesAbsolutePaths) {
  EXPECT_EQ(parse_busybox_applets("usr/bin/[\nsbin/modprobe\nlinuxrc\n\n"),
            (std::vector<std::string>{"/usr/bin/[", "/sbin/modprobe", "/linuxrc"}));
}

TEST(DebianKernel, ReleaseFromMetapackageDepends) {
  auto rel = release_from_depends("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)\n");
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_EQ(*rel, "6.1.0-56-cloud-amd64");
  auto alt = release_from_depends(
      "initramfs-tools | linux-initramfs-tool, "
      "linux-image-6.1.0-57-cloud-amd64-unsigned (= 6.1.200-1)");
  ASSERT_TRUE(alt.ok());
  EXPECT_EQ(*alt, "6.1.0-57-cloud-amd64-unsigned");
  EXPECT_FALSE(release_from_depends("kmod, linux-base (>= 4.3~)").ok());
}

TEST(DebianKernel, ReleaseFromTheGenericMetapackageDepends) {
  auto rel = release_from_depends("linux-image-6.1.0-56-amd64 (= 6.1.192-2)\n");
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_EQ(*rel, "6.1.0-56-amd64");
  // A metapackage named in Depends is not a release.
  EXPECT_FALSE(release_from_depends("linux-image-amd64, linux-image-cloud-amd64").ok());
}

TEST(DebianKernel, FlavourNamesMapToTheirMetapackages) {
  auto cloud = debian_flavour("default");
  ASSERT_TRUE(cloud.has_value());
  EXPECT_EQ(cloud->name, "default");
  EXPECT_EQ(cloud->metapackage, "linux-image-cloud-amd64");
  auto empty = debian_flavour("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->metapackage, "linux-image-cloud-amd64");
  auto generic = debian_flavour("debian-amd64");
  ASSERT_TRUE(generic.has_value());
  EXPECT_EQ(generic->name, "debian-amd64");
  EXPECT_EQ(generic->metapackage, "linux-image-amd64");
  EXPECT_FALSE(debian_flavour("/boot/vmlinuz-6.1.0-56-amd64").has_value());
  EXPECT_FALSE(debian_flavour("debian-cloud").has_value());
}

TEST(Manifest, CoversEveryInputAndNamesMissingDigests) {
  ManifestHeader header{"6.1.0-56-cloud-amd64", "k", {"virtio_net"}, {"nbd"}, {"nbd-client"}};
  std::vector<CpioEntry> entries = {
      CpioEntry::directory("/etc"),
      CpioEntry::file_from_bytes("/etc/hostname", "wedge\n"),
      CpioEntry::file_from_host("/init", "/host/agent", 0755),
      CpioEntry::symlink("/bin/sh", "/bin/busybox"),
      CpioEntry::char_device("/dev/null", 0666, 1, 3),
  };
  auto manifest = format_manifest(header, entries, {{"/host/agent", "d1"}});
  ASSERT_TRUE(manifest.ok()) << manifest.error().message();
  EXPECT_EQ(*manifest, fmt::format("wedge-image-format {}\n", kImageFormatVersion) +
                           "kernel 6.1.0-56-cloud-amd64 sha256:k\n"
                           "boot-modules virtio_net\n"
                           "extra-modules nbd\n"
                           "tools nbd-client\n"
                           "dir /etc 755\n"
                           "bytes /etc/hostname 644 6\nwedge\n\n"
                           "file /init 755 sha256:d1\n"
                           "symlink /bin/sh -> /bin/busybox\n"
                           "chardev /dev/null 666 1:3\n");
  EXPECT_FALSE(format_manifest(header, entries, {}).ok());
}

}  // namespace
}  // namespace wedge::image
