// Unit tests for build_image on a synthetic custom kernel (no download, no VM): contents of
// the archive, the module index in it, the cache hit, and the errors a user can run into.
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <chrono>

#include "harness/util/files.h"
#include "harness/util/process.h"
#include "vm-images/image.h"
#include "vm-images/modules.h"

namespace wedge::image {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr char kRelease[] = "9.9.9-wedge-test";
const fs::path kFixtures = fs::path(WEDGE_TESTDATA_DIR) / "modules";

class BuildImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/bin/busybox")) GTEST_SKIP() << "busybox-static is not installed";
    auto dir = TempDir::create("wedge-image-test");
    ASSERT_TRUE(dir.ok());
    dir_.emplace(std::move(*dir));
    kernel_ = root() / "bzImage";
    std::string version = std::string(kRelease) + " (test@wedge) #1 SMP";
    std::string bytes(0x4000, '\0');
    bytes.replace(0x202, 4, "HdrS");
    bytes[0x20E] = 0x00;
    bytes[0x20F] = 0x10;  // version at 0x1000 + 0x200
    bytes.replace(0x1200, version.size(), version);
    ASSERT_TRUE(write_file_atomic(kernel_, bytes).ok());

    // A module tree with the recorded modules.dep and stand-in .ko files (depmod tolerates
    // them: it only warns that it found no symbols).
    modules_ = root() / "modules";
    fs::path tree = modules_ / "lib/modules" / kRelease;
    fs::create_directories(tree);
    std::string dep = *read_file(kFixtures / "modules.dep");
    auto index = parse_module_index(dep, "");
    ASSERT_TRUE(index.ok());
    for (const auto& [name, info] : index->modules) {
      fs::create_directories((tree / info.path).parent_path());
      ASSERT_TRUE(write_file_atomic(tree / info.path, "stand-in for " + name).ok());
    }
    ASSERT_TRUE(write_file_atomic(tree / "modules.dep", dep).ok());
    fs::copy_file(kFixtures / "modules.builtin", tree / "modules.builtin");
  }

  fs::path root() const { return dir_->path(); }

  ImageRequest request() const {
    ImageRequest r;
    r.kernel = kernel_.string();
    r.modules_dir = modules_;
    r.tools = {};  // keeps the test independent of nbd-client being installed
    r.agent_binary = "/bin/busybox";
    r.cache_dir = root() / "cache";
    return r;
  }

  // Extracts one file from the archive (device nodes would need root, so not everything).
  std::string extract(const fs::path& initrd, const std::string& name) {
    fs::path into = root() / "x";
    fs::create_directories(into);
    auto out = run_command({"cpio", "-idm", "--no-absolute-filenames", "-D", into.string(), "-F",
                            initrd.string(), name},
                           30s);
    EXPECT_TRUE(out.ok() && out->status.success());
    auto text = read_file(into / name);
    return text.ok() ? *text : "<missing " + name + ">";
  }

  std::vector<std::string> list(const fs::path& initrd) {
    auto out = run_command({"cpio", "-t", "-F", initrd.string()}, 30s);
    EXPECT_TRUE(out.ok() && out->status.success());
    std::vector<std::string> names;
    std::string_view text = out.ok() ? std::string_view(out->out) : "";
    while (!text.empty()) {
      auto nl = text.find('\n');
      names.emplace_back(text.substr(0, nl));
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
    return names;
  }

  std::optional<TempDir> dir_;
  fs::path kernel_;
  fs::path modules_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST_F(BuildImage, BuildsThenHitsTheCache) {
  std::vector<std::string> progress;
  auto built = build_image(request(), [&](const std::string& l) { progress.push_back(l); });
  ASSERT_TRUE(built.ok()) << built.error().message();
  EXPECT_FALSE(built->from_cache);
  EXPECT_EQ(built->kernel_release, kRelease);
  EXPECT_EQ(built->hash.size(), 64u);
  EXPECT_EQ(built->initrd_bytes, fs::file_size(built->initrd));
  EXPECT_GT(built->pinned_bytes, 1000000u);  // busybox twice (as /init and /bin/busybox)
  EXPECT_LT(built->pinned_bytes, built->initrd_bytes);
  EXPECT_EQ(*read_file(built->kernel), *read_file(kernel_));
  EXPECT_EQ(
      built->boot_modules_in_order,
      (std::vector<std::string>{"virtio_ring", "virtio", "virtio_pci_modern_dev",
                                "virtio_pci_legacy_dev", "virtio_pci", "virtio_console", "failover",
                                "net_failover", "virtio_net", "virtio_balloon", "qemu_fw_cfg"}));

  std::vector<std::string> names = list(built->initrd);
  for (const char* expected :
       {"init",      "bin/busybox",  "sbin/modprobe", "bin/sh",       "dev/console",
        "dev/null",  "proc",         "sys",           "tmp",          "run",
        "mnt",       "root",         "extra",         "var",          "etc/passwd",
        "etc/group", "etc/hostname", "etc/protocols", "etc/services", "etc/wedge/modules.load"}) {
    EXPECT_TRUE(contains(names, expected)) << expected;
  }
  std::string mods = std::string("lib/modules/") + kRelease + "/";
  EXPECT_TRUE(contains(names, mods + "kernel/drivers/block/nbd.ko"));
  EXPECT_TRUE(contains(names, mods + "modules.dep"));
  EXPECT_FALSE(contains(names, mods + "kernel/fs/nfs/nfs.ko"));  // not asked for

  std::string load = extract(built->initrd, "etc/wedge/modules.load");
  EXPECT_TRUE(load.starts_with(mods + "kernel/drivers/virtio/virtio_ring.ko\n")) << load;
  EXPECT_EQ(std::count(load.begin(), load.end(), '\n'), 11);
  EXPECT_EQ(load.find("nbd"), std::string::npos);  // on demand, not at boot
  std::string dep = extract(built->initrd, mods + "modules.dep");
  EXPECT_NE(dep.find("kernel/drivers/block/nbd.ko:"), std::string::npos) << dep;
  EXPECT_EQ(dep.find("nfs"), std::string::npos) << dep;

  auto start = std::chrono::steady_clock::now();
  auto again = build_image(request());
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->hash, built->hash);
  EXPECT_EQ(again->initrd, built->initrd);
  EXPECT_EQ(again->pinned_bytes, built->pinned_bytes);
  EXPECT_EQ(again->boot_modules_in_order, built->boot_modules_in_order);
  EXPECT_LT(took, 1s);

  ImageRequest other = request();
  other.nic_driver.clear();  // no network card driver to load
  auto changed = build_image(other);
  ASSERT_TRUE(changed.ok()) << changed.error().message();
  EXPECT_FALSE(changed->from_cache);
  EXPECT_NE(changed->hash, built->hash);
}

TEST_F(BuildImage, KernelWithoutModulesDirHasNoModules) {
  ImageRequest r = request();
  r.modules_dir.clear();
  std::vector<std::string> progress;
  auto built = build_image(r, [&](const std::string& l) { progress.push_back(l); });
  ASSERT_TRUE(built.ok()) << built.error().message();
  EXPECT_TRUE(built->boot_modules_in_order.empty());
  EXPECT_EQ(extract(built->initrd, "etc/wedge/modules.load"), "");
  bool reported = false;
  for (const auto& line : progress) reported |= line.find("built in") != std::string::npos;
  EXPECT_TRUE(reported);
}

// A kernel with nbd built in (modules.builtin says so, modules.dep has no nbd.ko): the image
// carries no file for it but ships modules.builtin for the guest to see it; without
// modules.builtin, the build goes on and says it takes nbd as built in.
TEST_F(BuildImage, BuiltInDriverCarriesNothingButModulesBuiltin) {
  fs::path tree = modules_ / "lib/modules" / kRelease;
  std::string dep = *read_file(tree / "modules.dep");
  auto nbd = dep.find("kernel/drivers/block/nbd.ko:");
  ASSERT_NE(nbd, std::string::npos);
  dep.erase(nbd, dep.find('\n', nbd) + 1 - nbd);
  ASSERT_TRUE(write_file_atomic(tree / "modules.dep", dep).ok());
  std::string builtin = *read_file(tree / "modules.builtin") + "kernel/drivers/block/nbd.ko\n";
  ASSERT_TRUE(write_file_atomic(tree / "modules.builtin", builtin).ok());

  ImageRequest r = request();
  r.extra_modules = {"nbd", "iscsi_tcp"};
  std::vector<std::string> progress;
  auto built = build_image(r, [&](const std::string& l) { progress.push_back(l); });
  ASSERT_TRUE(built.ok()) << built.error().message();
  std::vector<std::string> names = list(built->initrd);
  std::string mods = std::string("lib/modules/") + kRelease + "/";
  EXPECT_FALSE(contains(names, mods + "kernel/drivers/block/nbd.ko"));
  EXPECT_TRUE(contains(names, mods + "kernel/drivers/scsi/iscsi_tcp.ko"));
  EXPECT_EQ(extract(built->initrd, mods + "modules.builtin"), builtin);
  EXPECT_TRUE(contains(progress, "modules: built into the kernel: nbd"));

  fs::remove(tree / "modules.builtin");
  progress.clear();
  auto unlisted = build_image(r, [&](const std::string& l) { progress.push_back(l); });
  ASSERT_TRUE(unlisted.ok()) << unlisted.error().message();
  EXPECT_FALSE(contains(list(unlisted->initrd), mods + "kernel/drivers/block/nbd.ko"));
  EXPECT_TRUE(contains(progress, fmt::format("modules: {} has no modules.builtin; taken as built "
                                             "in (not in modules.dep): nbd",
                                             fs::absolute(tree).string())))
      << fmt::format("{}", fmt::join(progress, "\n"));
}

// [guest] nic: the card's driver replaces virtio_net at boot when it is a module, carries nothing
// when built in, and a kernel with neither (Debian's cloud kernel and e1000) is an error naming
// the driver and the kernel before anything is built.
TEST_F(BuildImage, NicDriverIsLoadedAtBootBuiltInOrAClearError) {
  fs::path tree = modules_ / "lib/modules" / kRelease;
  ImageRequest r = request();
  r.nic_driver = "e1000";
  auto missing = build_image(r);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find(fmt::format(
                "kernel {} has no driver e1000 for the guest's network card ([guest] nic): it is "
                "neither built in ({}/modules.builtin) nor a module ({}/modules.dep)",
                kRelease, tree.string(), tree.string())),
            std::string::npos)
      << missing.error().message();
  EXPECT_FALSE(fs::exists(root() / "cache" / "images")) << "nothing is built before the check";

  // vmxnet3 as a module: loaded at boot where virtio_net was, and virtio_net is not in the image.
  std::string dep = *read_file(tree / "modules.dep") + "kernel/drivers/net/vmxnet3/vmxnet3.ko:\n";
  ASSERT_TRUE(write_file_atomic(tree / "modules.dep", dep).ok());
  fs::create_directories(tree / "kernel/drivers/net/vmxnet3");
  ASSERT_TRUE(write_file_atomic(tree / "kernel/drivers/net/vmxnet3/vmxnet3.ko", "stand-in").ok());
  r.nic_driver = "vmxnet3";
  auto vmxnet3 = build_image(r);
  ASSERT_TRUE(vmxnet3.ok()) << vmxnet3.error().message();
  EXPECT_EQ(vmxnet3->boot_modules_in_order,
            (std::vector<std::string>{"virtio_ring", "virtio", "virtio_pci_modern_dev",
                                      "virtio_pci_legacy_dev", "virtio_pci", "virtio_console",
                                      "vmxnet3", "virtio_balloon", "qemu_fw_cfg"}));
  std::vector<std::string> names = list(vmxnet3->initrd);
  std::string mods = std::string("lib/modules/") + kRelease + "/";
  EXPECT_TRUE(contains(names, mods + "kernel/drivers/net/vmxnet3/vmxnet3.ko"));
  EXPECT_FALSE(contains(names, mods + "kernel/drivers/net/virtio_net.ko"));

  // e1000 built in: nothing to carry, nothing to load.
  std::string builtin =
      *read_file(tree / "modules.builtin") + "kernel/drivers/net/ethernet/intel/e1000/e1000.ko\n";
  ASSERT_TRUE(write_file_atomic(tree / "modules.builtin", builtin).ok());
  r.nic_driver = "e1000";
  std::vector<std::string> progress;
  auto built_in = build_image(r, [&](const std::string& l) { progress.push_back(l); });
  ASSERT_TRUE(built_in.ok()) << built_in.error().message();
  EXPECT_TRUE(contains(progress, "modules: built into the kernel: e1000"))
      << fmt::format("{}", fmt::join(progress, "\n"));
  EXPECT_EQ(std::count(built_in->boot_modules_in_order.begin(),
                       built_in->boot_modules_in_order.end(), "e1000"),
            0);
  EXPECT_NE(built_in->hash, vmxnet3->hash);
}

TEST_F(BuildImage, ModulesDirWithoutIndexIsIndexedOnTheSide) {
  fs::path tree = modules_ / "lib/modules" / kRelease;
  fs::remove(tree / "modules.dep");
  auto built = build_image(request());
  ASSERT_TRUE(built.ok()) << built.error().message();
  // Stand-in modules have no symbols, so depmod finds no dependencies between them.
  EXPECT_EQ(built->boot_modules_in_order,
            (std::vector<std::string>{"virtio_pci", "virtio_console", "virtio_net",
                                      "virtio_balloon", "qemu_fw_cfg"}));
  EXPECT_FALSE(fs::exists(tree / "modules.dep"));  // the user's tree is left alone
}

TEST_F(BuildImage, ClearErrors) {
  ImageRequest r = request();
  r.kernel = (root() / "no-such-bzImage").string();
  auto missing = build_image(r);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("no-such-bzImage does not exist"), std::string::npos)
      << missing.error().message();

  r = request();
  r.agent_binary = root() / "no-agent";
  auto no_agent = build_image(r);
  ASSERT_FALSE(no_agent.ok());
  EXPECT_NE(no_agent.error().message().find("agent binary"), std::string::npos);

  r = request();
  r.extra_modules = {"nbd", "floppy-drive"};
  auto unknown = build_image(r);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message().find("unknown module 'floppy_drive'"), std::string::npos)
      << unknown.error().message();

  r = request();
  fs::create_directories(modules_ / "lib/modules/1.2.3-other");
  fs::rename(modules_ / "lib/modules" / kRelease, modules_ / "lib/modules/4.5.6-else");
  auto mismatch = build_image(r);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message().find("holds modules for [1.2.3-other, 4.5.6-else]"),
            std::string::npos)
      << mismatch.error().message();
}

TEST(DefaultAgentPath, IsNextToTheRunningExecutable) {
  fs::path exe = fs::read_symlink("/proc/self/exe");
  EXPECT_EQ(default_agent_path(), exe.parent_path() / "wedge-agent");
}

}  // namespace
}  // namespace wedge::image
