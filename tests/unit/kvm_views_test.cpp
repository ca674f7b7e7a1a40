// explain_kvm_views and cache_records_kvm: the two ways libvirt's views of KVM disagree each get
// their own problem and fix; agreeing views get none; the cache file's kvm flag is read.
#include "harness/vm/libvirt/kvm_views.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;

TEST(KvmViewsTest, AgreeingViewsNeedNoFix) {
  EXPECT_FALSE(explain_kvm_views({.probe_recorded_kvm = true, .qemu_user_may_open_kvm = true}));
  EXPECT_FALSE(explain_kvm_views({.probe_recorded_kvm = false, .qemu_user_may_open_kvm = false}));
}

// The host of issue 17: /dev/kvm root:kvm 0660, libvirt-qemu not in group kvm, and a probe that
// initialised KVM through CAP_DAC_OVERRIDE.
TEST(KvmViewsTest, ProbeThatSawKvmAgainstAClosedDeviceIsGrantedByAnAclEntry) {
  auto why = explain_kvm_views({.probe_recorded_kvm = true, .qemu_user_may_open_kvm = false});
  ASSERT_TRUE(why);
  EXPECT_NE(why->problem.find("CAP_DAC_OVERRIDE"), std::string::npos) << why->problem;
  EXPECT_NE(why->problem.find("not available now"), std::string::npos) << why->problem;
  EXPECT_NE(why->fix.find("setfacl -m u:libvirt-qemu:rw- /dev/kvm"), std::string::npos);
}

// The earlier host: /dev/kvm open to libvirt-qemu, but KVM does not initialise.
TEST(KvmViewsTest, OpenDeviceWithoutUsableKvmIsDeniedByAnAclEntry) {
  auto why = explain_kvm_views({.probe_recorded_kvm = false, .qemu_user_may_open_kvm = true});
  ASSERT_TRUE(why);
  EXPECT_NE(why->problem.find("should be usable now"), std::string::npos) << why->problem;
  EXPECT_NE(why->fix.find("setfacl -m u:libvirt-qemu:--- /dev/kvm"), std::string::npos);
}

class CacheRecordsKvmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-kvm-views-test", fs::temp_directory_path());
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_->path() / name) << text;
  }
  std::optional<TempDir> dir_;
};

TEST_F(CacheRecordsKvmTest, FlagInAnyFileIsRecordedKvm) {
  write("a.xml", "<qemuCaps>\n  <flag name='tcg'/>\n</qemuCaps>\n");
  write("b.xml", "<qemuCaps>\n  <flag name='kvm'/>\n  <flag name='tcg'/>\n</qemuCaps>\n");
  auto recorded = cache_records_kvm(dir_->path());
  ASSERT_TRUE(recorded.ok()) << recorded.error().message();
  EXPECT_TRUE(*recorded);
}

TEST_F(CacheRecordsKvmTest, TcgOnlyCacheIsNoKvm) {
  write("a.xml", "<qemuCaps>\n  <flag name='tcg'/>\n  <flag name='kvm-pit-lost-tick'/>\n");
  auto recorded = cache_records_kvm(dir_->path());
  ASSERT_TRUE(recorded.ok()) << recorded.error().message();
  EXPECT_FALSE(*recorded);
}

TEST_F(CacheRecordsKvmTest, EmptyCacheIsAnErrorNamingIt) {
  auto recorded = cache_records_kvm(dir_->path());
  ASSERT_FALSE(recorded.ok());
  EXPECT_NE(recorded.error().message().find(dir_->path().string()), std::string::npos);
}

}  // namespace
}  // namespace wedge::vm
