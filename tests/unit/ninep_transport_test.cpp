// Unit tests for transport = "9p": its load-time checks (fs only, not on the cloud kernel,
// guest faults only), and what it does on the host and in a scripted guest (the shared
// folder in the run dir, the VmSpec's <filesystem>, the modprobe and mount commands).
#include <gtest/gtest.h>

#include "harness/config/load_scenario.h"
#include "harness/storage/transport_registry.h"
#include "harness/util/files.h"

namespace wedge::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kNinep = R"([guest]
kernel = "debian-amd64"
[storage]
transport = "9p"
use = "fs"
)";

std::string check(const std::string& text) {
  auto s = config::parse_scenario(text, "t.toml");
  if (!s) return s.error().message();
  auto ok = check_storage(*s);
  return ok ? "(loaded)" : ok.error().message();
}

// Records every command; they all succeed.
class ScriptedGuest final : public GuestOps {
 public:
  Result<std::string> run(const std::vector<std::string>& argv) override {
    commands.push_back(argv);
    return std::string();
  }
  Result<uint32_t> start(const std::string&, const std::vector<std::string>&) override {
    return make_error("9p starts nothing in the guest");
  }
  std::optional<std::string> exited(uint32_t) override { return std::nullopt; }
  Status write_file(const std::string&, const std::string&) override { return ok_status(); }
  Result<std::string> read_file(const std::string&, size_t) override { return std::string(); }
  void wait(std::chrono::milliseconds) override {}
  void say(const std::string&) override {}
  std::chrono::milliseconds command_timeout() const override {
    return std::chrono::milliseconds(1000);
  }
  std::vector<std::vector<std::string>> commands;
};

TEST(NinepTransport, LoadsForFsOnTheGenericKernelWithGuestFaults) {
  EXPECT_EQ(check(std::string(kNinep)), "(loaded)");
  EXPECT_EQ(
      check(std::string(kNinep) + "[[fault]]\nkind = \"memory-max\"\nat_s = 1\nduration_s = 5\n"
                                  "memory_max_mib = 64\n"),
      "(loaded)");
  EXPECT_EQ(check(std::string(kNinep) +
                  "[[fault]]\nkind = \"balloon\"\nat_s = 1\nduration_s = 5\nballoon_mib = 64\n"),
            "(loaded)");
}

TEST(NinepTransport, RejectsSwapWithFileLineAndReason) {
  EXPECT_EQ(check("[guest]\nkernel = \"debian-amd64\"\n[storage]\ntransport = \"9p\"\n"),
            "t.toml:3: [storage] use = \"swap\": transport = \"9p\" cannot hold swap (9p files "
            "have no block mapping for the swap code, so swapon refuses them); use \"fs\"");
}

TEST(NinepTransport, RejectsTheCloudKernelNamingTheFlavourThatHas9p) {
  EXPECT_EQ(check("\n[storage]\ntransport = \"9p\"\nuse = \"fs\"\n"),
            "t.toml:2: [storage] transport = \"9p\" needs a kernel with 9p, and the default "
            "Debian cloud kernel has none (CONFIG_NET_9P unset): set [guest] kernel = "
            "\"debian-amd64\" (or a bzImage built with CONFIG_9P_FS and CONFIG_NET_9P_VIRTIO)");
}

TEST(NinepTransport, RejectsFaultsThatNeedAHostServer) {
  EXPECT_EQ(check(std::string(kNinep) + "[[fault]]\nkind = \"server-stall\"\nat_s = 1\n"
                                        "duration_s = 5\n"),
            "t.toml:6: [[fault]] kind = \"server-stall\" via = \"signal\" needs a storage server "
            "process on the host; transport = \"9p\" has none");
  EXPECT_EQ(check(std::string(kNinep) + "[[fault]]\nkind = \"delay\"\nat_s = 1\n"
                                        "duration_s = 5\ndelay_ms = 50\n"),
            "t.toml:6: [[fault]] kind = \"delay\" needs wedge's TCP relay in front of a host "
            "server; transport = \"9p\" has none");
}

TEST(NinepTransport, SharesARunDirFolderAndMountsItWithTheScenarioOptions) {
  auto s =
      config::parse_scenario(std::string(kNinep) + "mount_options = \"cache=loose\"\n", "t.toml");
  ASSERT_TRUE(s.ok()) << s.error().message();
  auto t = make_transport(*s);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->image_needs().modules, (std::vector<std::string>{"9pnet_virtio", "9p"}));
  EXPECT_TRUE(t->image_needs().tools.empty());
  EXPECT_EQ(t->describe(), "9p (virtio, no server)");

  auto dir = TempDir::create("ninep-test");
  ASSERT_TRUE(dir.ok());
  TransportContext context{&*s, dir->path(), {}};
  ASSERT_TRUE(t->start_host(context).ok());
  EXPECT_TRUE(fs::is_directory(dir->path() / "9p-share"));
  EXPECT_TRUE(t->servers().empty());

  vm::VmSpec spec;
  t->adjust_vm(spec);
  ASSERT_EQ(spec.shared_folders.size(), 1u);
  EXPECT_EQ(spec.shared_folders[0].host_dir, fs::absolute(dir->path() / "9p-share"));
  EXPECT_EQ(spec.shared_folders[0].tag, "wedge");
  EXPECT_TRUE(spec.disks.empty());

  ScriptedGuest guest;
  auto attached = t->attach(guest);
  ASSERT_TRUE(attached.ok()) << attached.error().message();
  EXPECT_EQ(attached->device, "");
  EXPECT_EQ(attached->mount_point, "/mnt/wedge");
  EXPECT_EQ(guest.commands,
            (std::vector<std::vector<std::string>>{
                {"/bin/busybox", "modprobe", "9pnet_virtio"},
                {"/bin/busybox", "modprobe", "9p"},
                {"/bin/busybox", "mkdir", "-p", "/mnt/wedge"},
                {"/bin/busybox", "mount", "-t", "9p", "-o",
                 "trans=virtio,version=9p2000.L,cache=loose", "wedge", "/mnt/wedge"}}));
  EXPECT_TRUE(t->stop().ok());
  EXPECT_TRUE(t->stop().ok());
}

}  // namespace
}  // namespace wedge::storage
