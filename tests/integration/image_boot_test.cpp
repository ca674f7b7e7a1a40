// Integration tests for vm-images: build the default image (Debian's cloud kernel, fetched
// into the build tree's cache), boot it under TCG, and check what the guest did with it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/bzimage.h"
#include "vm-images/image.h"
#include "vm-images/modules.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

ImageRequest default_request(const fs::path& agent) {
  ImageRequest r;
  r.agent_binary = agent;
  r.cache_dir = WEDGE_TEST_CACHE_DIR;
  return r;
}

Result<GuestImage> build_logged(const ImageRequest& r) {
  return build_image(r, [](const std::string& line) { std::printf("  %s\n", line.c_str()); });
}

// Boots image under TCG until the console shows marker (or the guest exits, or timeout);
// returns the console log.
std::string boot_until(const GuestImage& img, const fs::path& dir, const std::string& marker,
                       std::chrono::seconds timeout) {
  fs::path log = dir / "console.log";
  auto qemu = ChildProcess::spawn({"qemu-system-x86_64",
                                   "-accel",
                                   "tcg",
                                   "-m",
                                   "256",
                                   "-nographic",
                                   "-no-reboot",
                                   "-kernel",
                                   img.kernel.string(),
                                   "-initrd",
                                   img.initrd.string(),
                                   "-append",
                                   "console=ttyS0 panic=-1",
                                   "-serial",
                                   "file:" + log.string(),
                                   "-display",
                                   "none",
                                   "-monitor",
                                   "none",
                                   "-netdev",
                                   "user,id=net0",
                                   "-device",
                                   "virtio-net-pci,netdev=net0"},
                                  SpawnOptions{.stdout_path = dir / "qemu.out"});
  EXPECT_TRUE(qemu.ok()) << qemu.error().message();
  if (!qemu.ok()) return "";
  auto deadline = Clock::now() + timeout;
  std::string text;
  while (Clock::now() < deadline) {
    auto read = read_file(log);
    if (read.ok()) text = std::move(*read);
    if (text.find(marker) != std::string::npos || !qemu->running()) break;
    std::this_thread::sleep_for(100ms);
  }
  qemu->stop(1000ms);
  if (auto read = read_file(log)) text = std::move(*read);
  return text;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  return lines;
}

size_t index_of_suffix(const std::vector<std::string>& lines, const std::string& suffix) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].ends_with(suffix)) return i;
  }
  return lines.size();
}

TEST(ImageBoot, DefaultImageBootsToInitAndIsCached) {
  auto start = Clock::now();
  auto first = build_logged(default_request("/bin/busybox"));
  ASSERT_TRUE(first.ok()) << first.error().message();
  double first_s = seconds_since(start);
  std::printf("first build: %.2f s (%s), initrd %llu bytes, pinned %llu bytes\n", first_s,
              first->from_cache ? "from cache" : "built",
              static_cast<unsigned long long>(first->initrd_bytes),
              static_cast<unsigned long long>(first->pinned_bytes));

  start = Clock::now();
  auto second = build_logged(default_request("/bin/busybox"));
  double second_s = seconds_since(start);
  ASSERT_TRUE(second.ok()) << second.error().message();
  std::printf("second build: %.3f s\n", second_s);
  EXPECT_TRUE(second->from_cache);
  EXPECT_EQ(second->hash, first->hash);
  EXPECT_LT(second_s, 1.0);

  // The release in the bzImage header is the one the image was built for.
  auto header_release = read_bzimage_release(first->kernel);
  ASSERT_TRUE(header_release.ok()) << header_release.error().message();
  EXPECT_EQ(*header_release, first->kernel_release);

  // modules.load: every dependency before the module that needs it.
  auto dir = TempDir::create("wedge-image-boot");
  ASSERT_TRUE(dir.ok());
  auto cpio = run_command({"cpio", "-idm", "--no-absolute-filenames", "-D", dir->path().string(),
                           "-F", first->initrd.string(), "etc/wedge/modules.load"},
                          30s);
  ASSERT_TRUE(cpio.ok() && cpio->status.success());
  std::vector<std::string> load = lines_of(*read_file(dir->path() / "etc/wedge/modules.load"));
  auto at = [&](const char* ko) { return index_of_suffix(load, ko); };
  ASSERT_LT(at("/virtio_console.ko"), load.size());
  ASSERT_LT(at("/virtio_net.ko"), load.size());
  EXPECT_LT(at("/virtio_ring.ko"), at("/virtio.ko"));
  EXPECT_LT(at("/virtio.ko"), at("/virtio_console.ko"));
  EXPECT_LT(at("/failover.ko"), at("/net_failover.ko"));
  EXPECT_LT(at("/net_failover.ko"), at("/virtio_net.ko"));
  EXPECT_LT(at("/virtio.ko"), at("/virtio_net.ko"));
  EXPECT_EQ(at("/nbd.ko"), load.size());  // extra module: in the image, not loaded at boot

  std::string console =
      boot_until(*first, dir->path(), "Run /init as init process", std::chrono::seconds(60));
  EXPECT_NE(console.find("Run /init as init process"), std::string::npos) << console;
}

TEST(ImageBoot, ResolverMatchesModprobeOnTheRealKernel) {
  auto img = build_logged(default_request("/bin/busybox"));
  ASSERT_TRUE(img.ok()) << img.error().message();
  fs::path root = fs::path(WEDGE_TEST_CACHE_DIR) / "kernels" / img->kernel_release / "root";
  fs::path modules = root / "lib/modules" / img->kernel_release;
  auto index = load_module_index(modules);
  ASSERT_TRUE(index.ok()) << index.error().message();
  for (const char* name : {"virtio_pci", "virtio_console", "virtio_net", "virtio_balloon", "nbd",
                           "nfs", "iscsi_tcp"}) {
    auto ours = resolve_load_order(*index, {name});
    ASSERT_TRUE(ours.ok()) << ours.error().message();
    auto modprobe = run_checked(
        {"modprobe", "-d", root.string(), "-S", img->kernel_release, "--show-depends", name}, 30s);
    ASSERT_TRUE(modprobe.ok()) << modprobe.error().message();
    std::vector<std::string> theirs;
    for (const std::string& line : lines_of(modprobe->out)) {
      // "insmod /ROOT/lib/modules/REL/kernel/drivers/block/nbd.ko max_part=15 "
      if (!line.starts_with("insmod ")) continue;
      std::string path = line.substr(7, line.find(' ', 7) - 7);
      theirs.push_back(fs::path(path).lexically_relative(modules).string());
    }
    EXPECT_EQ(*ours, theirs) << name;
  }
}

// With a shell script standing in for the agent, the guest loads modules.load, modprobes
// nbd from the image's own module index and runs the copied nbd-client.
TEST(ImageBoot, GuestLoadsModulesAndRunsTools) {
  fs::path script = fs::path(WEDGE_TESTDATA_DIR) / "image" / "check-init.sh";
  auto img = build_logged(default_request(script));
  ASSERT_TRUE(img.ok()) << img.error().message();
  auto dir = TempDir::create("wedge-image-boot");
  ASSERT_TRUE(dir.ok());
  std::string console = boot_until(*img, dir->path(), "WEDGE-CHECK done", std::chrono::seconds(60));
  EXPECT_EQ(console.find("WEDGE-CHECK failed"), std::string::npos) << console;
  for (const std::string& module : img->boot_modules_in_order) {
    EXPECT_NE(console.find("/" + module + ".ko"), std::string::npos) << module << "\n" << console;
  }
  EXPECT_NE(console.find("WEDGE-CHECK modprobe nbd ok"), std::string::npos) << console;
  EXPECT_NE(console.find("WEDGE-CHECK eth0 present"), std::string::npos) << console;
  EXPECT_NE(console.find("WEDGE-CHECK nbd-client runs"), std::string::npos) << console;
  EXPECT_NE(console.find("WEDGE-CHECK done"), std::string::npos) << console;
}

}  // namespace
}  // namespace wedge::image
