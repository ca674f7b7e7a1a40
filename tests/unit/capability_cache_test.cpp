// capability_cache_holds: a cache the second lookup leaves alone holds; one it rewrites, adds
// to or that lacks any file does not; a failing lookup is an error with its context.
#include "harness/vm/libvirt/capability_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>

#include "harness/util/files.h"

namespace wedge::vm {
namespace {

namespace fs = std::filesystem;

class CapabilityCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = TempDir::create("wedge-caps-test", fs::temp_directory_path());
    ASSERT_TRUE(dir.ok()) << dir.error().message();
    dir_.emplace(std::move(*dir));
  }
  void write(const std::string& name, std::chrono::seconds age) {
    fs::path file = path() / name;
    std::ofstream(file) << "<qemuCaps/>";
    fs::last_write_time(file, fs::file_time_type::clock::now() - age);
  }
  // A lookup that writes the cache file the first time only, like a libvirtd that probes once.
  std::function<Status()> probing_once() {
    return [this, calls = 0]() mutable {
      if (calls++ == 0) write("926803a9.xml", std::chrono::seconds(0));
      return ok_status();
    };
  }
  [[nodiscard]] fs::path path() const { return dir_->path(); }
  std::optional<TempDir> dir_;
};

TEST_F(CapabilityCacheTest, HoldsWhenTheSecondLookupRewritesNothing) {
  write("f1100872.xml", std::chrono::seconds(3600));  // another QEMU binary's entry
  auto holds = capability_cache_holds(path(), probing_once());
  ASSERT_TRUE(holds.ok()) << holds.error().message();
  EXPECT_TRUE(*holds);
}

TEST_F(CapabilityCacheTest, DoesNotHoldWhenEveryLookupReprobes) {
  int calls = 0;
  auto reprobing = [&] {
    write("926803a9.xml", std::chrono::seconds(100 - 10 * calls++));
    return ok_status();
  };
  auto holds = capability_cache_holds(path(), reprobing);
  ASSERT_TRUE(holds.ok()) << holds.error().message();
  EXPECT_FALSE(*holds);
  EXPECT_EQ(calls, 2);
}

TEST_F(CapabilityCacheTest, DoesNotHoldWhenTheSecondLookupAddsAnEntry) {
  int calls = 0;
  auto adding = [&] {
    write(calls++ == 0 ? "a.xml" : "b.xml", std::chrono::seconds(60));
    return ok_status();
  };
  auto holds = capability_cache_holds(path(), adding);
  ASSERT_TRUE(holds.ok()) << holds.error().message();
  EXPECT_FALSE(*holds);
}

TEST_F(CapabilityCacheTest, OtherFilesInTheFolderDoNotCount) {
  int calls = 0;
  auto lookup = [&] {
    if (calls == 0) write("926803a9.xml", std::chrono::seconds(60));
    write("lock", std::chrono::seconds(calls++));  // not a cache entry
    return ok_status();
  };
  auto holds = capability_cache_holds(path(), lookup);
  ASSERT_TRUE(holds.ok()) << holds.error().message();
  EXPECT_TRUE(*holds);
}

TEST_F(CapabilityCacheTest, AnEmptyCacheIsAnErrorNamingTheFolder) {
  auto holds = capability_cache_holds(path(), [] { return ok_status(); });
  ASSERT_FALSE(holds.ok());
  EXPECT_EQ(holds.error().message(),
            "libvirt's capability cache " + path().string() + " holds no QEMU capabilities");
}

TEST_F(CapabilityCacheTest, AFailingLookupIsAnErrorWithContext) {
  int calls = 0;
  auto failing_second = [&]() -> Status {
    write("926803a9.xml", std::chrono::seconds(60));
    if (calls++ == 1) return make_error("virConnectGetDomainCapabilities: connection closed");
    return ok_status();
  };
  auto holds = capability_cache_holds(path(), failing_second);
  ASSERT_FALSE(holds.ok());
  EXPECT_EQ(holds.error().message(),
            "asking libvirt for QEMU's capabilities again: virConnectGetDomainCapabilities: "
            "connection closed");
  auto first = capability_cache_holds(path(), [] { return Status(make_error("refused")); });
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.error().message(), "asking libvirt for QEMU's capabilities: refused");
}

}  // namespace
}  // namespace wedge::vm
